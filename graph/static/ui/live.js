// The live feed: every prediction of the model as it is made, through the `predictions`
// subscription. The newest rows are on top; the feed keeps the last 100.
import { errorBox, h, MODEL_HEAD, modelHeader, number, replace } from './dom.js';
import { gql, subscribe } from './gql.js';

const PREDICTIONS = `subscription Live($model: String!) {
  predictions(model: $model) {
    id requestId status errorCode rows latencyMs versionNumber outputs shadow at
  }
}`;
const KEEP = 100;

export async function render(root, id) {
  const { model } = await gql(`query Head($id: ID!) { model(id: $id) { ${MODEL_HEAD} } }`, { id });
  const rows = h('tbody', { id: 'feed' });
  const state = h('p', { id: 'feed-state', role: 'status' }, 'Listening for predictions…');
  let seen = 0;
  replace(
    root,
    modelHeader(model, '/live'),
    state,
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        {},
        h('caption', {}, 'Predictions as they are made, newest first'),
        h(
          'thead',
          {},
          h('tr', {}, ['Time', 'Version', 'Status', 'Rows', 'Latency', 'Outputs', 'Request'].map((t) => h('th', { scope: 'col' }, t))),
        ),
        rows,
      ),
    ),
  );
  return subscribe(PREDICTIONS, { model: model.fullName }, {
    next({ predictions: event }) {
      seen += 1;
      state.textContent = `${seen} predictions since you opened this page.`;
      rows.prepend(
        h(
          'tr',
          { class: event.status === 'ok' ? null : 'failed', dataset: { requestId: event.requestId } },
          h('td', {}, new Date(event.at).toLocaleTimeString()),
          h('td', {}, event.versionNumber ? `v${event.versionNumber}${event.shadow ? ' (shadow)' : ''}` : '—'),
          h('td', {}, event.errorCode ?? event.status),
          h('td', {}, String(event.rows)),
          h('td', {}, `${number(event.latencyMs)} ms`),
          h('td', {}, JSON.stringify(event.outputs)?.slice(0, 80) ?? '—'),
          h('td', {}, h('code', {}, event.requestId)),
        ),
      );
      while (rows.children.length > KEEP) rows.lastChild.remove();
    },
    error(error) {
      replace(state, errorBox(error));
    },
  });
}
