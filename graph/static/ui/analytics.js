// A model's analytics over a chosen time range: throughput and errors over time, latency
// percentiles, the output (class) distribution and drift per feature.
import { barChart, legend, lineChart } from './charts.js';
import { h, MODEL_HEAD, modelHeader, number, rangeOf, rangePicker, replace, table } from './dom.js';
import { gql } from './gql.js';

export const OUTPUTS = `total values { value count } numeric { count min mean max histogram { lower upper count } }`;
export const LATENCY = 'latency { p50 p95 p99 }';

const ANALYTICS = `query Analytics($id: ID!, $since: DateTime!, $until: DateTime!, $bucket: TimeBucket!) {
  model(id: $id) { ${MODEL_HEAD} }
  modelAnalytics(modelId: $id, since: $since, until: $until, bucket: $bucket) {
    count errorCount errorRate rows ${LATENCY}
    throughput { start count errors }
    outputs { ${OUTPUTS} }
  }
}`;

const DRIFT = `query Drift($model: String!, $window: DriftWindow) {
  driftReport(model: $model, window: $window) {
    versionNumber rows enoughData drifted driftedFeatures
    features { name kind psi ksPValue chiSquarePValue drifted }
  }
}`;

export function outputBars(title, outputs) {
  if (!outputs || !outputs.total) return h('p', {}, 'No outputs in this range.');
  if (outputs.values.length) {
    return barChart(
      title,
      outputs.values.map((item) => ({ label: JSON.stringify(item.value), value: item.count })),
    );
  }
  return barChart(
    title,
    (outputs.numeric?.histogram ?? []).map((bin) => ({
      label: `${number(bin.lower, 2)}–${number(bin.upper, 2)}`,
      value: bin.count,
    })),
  );
}

export function latencyBars(title, latency) {
  return barChart(
    title,
    ['p50', 'p95', 'p99'].map((name) => ({ label: `${name} ms`, value: latency[name] ?? 0 })),
  );
}

export async function render(root, id, initial = '24h') {
  const body = h('div', {});
  let drawn = false;
  async function draw(key) {
    const range = rangeOf(key);
    const data = await gql(ANALYTICS, { id, ...range });
    const { model, modelAnalytics: stats } = data;
    // The picker is drawn once, so it keeps the keyboard focus while the figures change.
    if (!drawn) replace(root, modelHeader(model, '/analytics'), rangePicker(key, draw), body);
    drawn = true;
    const labels = stats.throughput.map((b) => new Date(b.start).toLocaleString());
    const drift = await gql(DRIFT, {
      model: model.fullName,
      window: { since: range.since, until: range.until },
    }).catch(() => ({ driftReport: null }));
    const report = drift.driftReport;
    replace(
      body,
      h(
        'dl',
        { class: 'figures', dataset: { range: key } },
        h('dt', {}, 'Predictions'),
        h('dd', { id: 'count' }, String(stats.count)),
        h('dt', {}, 'Rows'),
        h('dd', {}, number(stats.rows, 0)),
        h('dt', {}, 'Errors'),
        h('dd', {}, `${stats.errorCount} (${number((stats.errorRate ?? 0) * 100)} %)`),
        h('dt', {}, 'Latency p50 / p95 / p99'),
        h('dd', {}, ['p50', 'p95', 'p99'].map((p) => number(stats.latency[p])).join(' / '), ' ms'),
      ),
      h('h2', {}, 'Throughput and errors'),
      legend(['predictions', 'errors']),
      lineChart('Predictions and errors per bucket', labels, [
        { name: 'predictions', values: stats.throughput.map((b) => b.count) },
        { name: 'errors', values: stats.throughput.map((b) => b.errors) },
      ]),
      h('h2', {}, 'Latency'),
      latencyBars('Latency percentiles in milliseconds', stats.latency),
      h('h2', {}, 'Output distribution'),
      outputBars('Predicted values', stats.outputs),
      h('h2', {}, 'Drift per feature'),
      report
        ? [
            h(
              'p',
              {},
              report.enoughData
                ? `v${report.versionNumber}: ${report.drifted ? `drifted (${report.driftedFeatures.join(', ')})` : 'no drift'} over ${report.rows} rows.`
                : `v${report.versionNumber}: not enough rows in this range (${report.rows}).`,
            ),
            barChart(
              'Population stability index per feature',
              report.features.map((f) => ({
                label: f.name,
                value: f.psi ?? 0,
                class: f.drifted ? 'bar bad' : 'bar',
              })),
            ),
            table(
              'Drift statistics',
              ['Feature', 'Kind', 'PSI', 'KS p', 'χ² p', 'Drifted'],
              report.features.map((f) => [
                f.name,
                f.kind,
                number(f.psi, 3),
                number(f.ksPValue, 3),
                number(f.chiSquarePValue, 3),
                f.drifted ? 'yes' : 'no',
              ]),
            ),
          ]
        : h('p', {}, 'No drift profile for this model’s serving version.'),
    );
  }
  await draw(initial);
}
