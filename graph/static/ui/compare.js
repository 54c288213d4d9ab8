// Two versions of a model side by side: their recorded metrics, traffic, errors, latency
// and output distributions over the chosen range.
import { LATENCY, OUTPUTS, latencyBars, outputBars } from './analytics.js';
import { field, h, MODEL_HEAD, modelHeader, number, rangeOf, rangePicker, replace, select, table } from './dom.js';
import { gql } from './gql.js';

const VERSIONS = `query Versions($id: ID!) {
  model(id: $id) { ${MODEL_HEAD} versions(first: 100) { edges { node { id number metrics } } } }
}`;
const ONE = `query Version($id: ID!, $version: ID!, $since: DateTime!, $until: DateTime!, $bucket: TimeBucket!) {
  modelAnalytics(modelId: $id, versionId: $version, since: $since, until: $until, bucket: $bucket) {
    count errorCount errorRate ${LATENCY} outputs { ${OUTPUTS} }
  }
}`;

export async function render(root, id) {
  const { model } = await gql(VERSIONS, { id });
  const versions = model.versions.edges.map((edge) => edge.node);
  const options = versions.map((v) => [v.id, `v${v.number}`]);
  const left = select('left', options, versions[1]?.id ?? versions[0]?.id);
  const right = select('right', options, versions[0]?.id);
  let rangeKey = '24h';
  const body = h('div', { class: 'columns' });
  const picker = h('div', {}, rangePicker(rangeKey, (key) => ((rangeKey = key), draw())));

  async function column(versionId) {
    const version = versions.find((v) => v.id === versionId);
    const { modelAnalytics: stats } = await gql(ONE, { id, version: versionId, ...rangeOf(rangeKey) });
    const metrics = Object.entries(version.metrics ?? {});
    return h(
      'section',
      { class: 'card', 'aria-label': `Version ${version.number}` },
      h('h2', {}, `v${version.number}`),
      table(
        `v${version.number} figures`,
        ['Figure', 'Value'],
        [
          ['Predictions', String(stats.count)],
          ['Error rate', `${number((stats.errorRate ?? 0) * 100)} %`],
          ...['p50', 'p95', 'p99'].map((p) => [`Latency ${p}`, `${number(stats.latency[p])} ms`]),
          ...metrics.map(([name, value]) => [name, typeof value === 'number' ? number(value, 4) : JSON.stringify(value)]),
        ],
      ),
      h('h3', {}, 'Latency'),
      latencyBars(`v${version.number} latency percentiles`, stats.latency),
      h('h3', {}, 'Outputs'),
      outputBars(`v${version.number} predicted values`, stats.outputs),
    );
  }

  async function draw() {
    replace(body, ...(await Promise.all([column(left.value), column(right.value)])));
  }
  left.addEventListener('change', draw);
  right.addEventListener('change', draw);
  replace(
    root,
    modelHeader(model, '/compare'),
    versions.length < 2 && h('p', {}, 'This model has one version; upload another to compare.'),
    h('div', { class: 'controls' }, field('Left version', left), field('Right version', right), picker),
    body,
  );
  if (versions.length) await draw();
}
