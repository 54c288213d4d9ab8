// Batch jobs: submit a CSV or JSON Lines file, follow each running job's progress through
// the `jobProgress` subscription, download the results of a finished one.
import { announce, errorBox, field, h, MODEL_HEAD, modelHeader, replace, table, when } from './dom.js';
import { gql, subscribe, upload } from './gql.js';

const JOB = 'id status progress rowsDone rowsFailed filename createdAt error';
const JOBS = `query Jobs($model: String) { jobs(model: $model, first: 50) { edges { node { ${JOB} } } } }`;
const SUBMIT = `mutation Submit($input: CreateBatchJobInput!) {
  createBatchJob(input: $input) {
    __typename
    ... on JobSuccess { job { ${JOB} } }
    ... on Error { message }
  }
}`;
const PROGRESS = `subscription Progress($id: ID!) {
  jobProgress(id: $id) { jobId status progress rowsDone rowsFailed etaSeconds error }
}`;
const LINK = `query Link($id: ID!, $format: JobFileFormat!) { job(id: $id) { resultsLink(format: $format) { url } } }`;
const FINISHED = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

function bar(job) {
  const percent = Math.round(job.progress * 100);
  return h(
    'span',
    { class: 'progress' },
    h('progress', { max: 100, value: percent, 'aria-label': `${job.filename} progress` }),
    h('span', { class: 'percent', dataset: { job: job.id } }, `${percent} %`),
  );
}

async function download(id, format) {
  const { job } = await gql(LINK, { id, format });
  location.assign(job.resultsLink.url);
}

export async function render(root, modelId = null) {
  const model = modelId
    ? (await gql(`query Head($id: ID!) { model(id: $id) { ${MODEL_HEAD} } }`, { id: modelId })).model
    : null;
  const stops = new Map();
  const list = h('div', {});
  const problem = h('div', { 'aria-live': 'assertive' });
  const reference = h('input', {
    name: 'model',
    required: true,
    value: model?.fullName ?? '',
    placeholder: 'owner/name@production',
  });
  const file = h('input', { type: 'file', name: 'file', required: true, accept: '.csv,.jsonl,.json,.gz' });
  const form = h(
    'form',
    {
      class: 'card',
      'aria-labelledby': 'submit-title',
      onsubmit: async (event) => {
        event.preventDefault();
        replace(problem);
        const { createBatchJob: result } = await upload(
          SUBMIT,
          { input: { model: reference.value, file: null } },
          'input.file',
          file.files[0],
        ).catch((error) => ({ createBatchJob: { message: error.message } }));
        if (result.__typename !== 'JobSuccess') {
          replace(problem, errorBox(result));
          return;
        }
        announce(`Job for ${result.job.filename} queued`);
        form.reset();
        reference.value = model?.fullName ?? '';
        await draw();
      },
    },
    h('h2', { id: 'submit-title' }, 'Submit a batch job'),
    field('Model reference', reference, 'owner/name, owner/name:3 or owner/name@alias'),
    field('Input file (CSV or JSON Lines)', file),
    problem,
    h('button', { type: 'submit', class: 'primary' }, 'Submit job'),
  );

  function follow(job, row) {
    if (FINISHED.has(job.status) || stops.has(job.id)) return;
    stops.set(
      job.id,
      subscribe(PROGRESS, { id: job.id }, {
        next({ jobProgress: progress }) {
          const shown = { ...job, ...progress };
          replace(row.status, progress.status);
          replace(row.bar, bar(shown));
          replace(row.rows, `${progress.rowsDone} (${progress.rowsFailed} failed)`);
          if (FINISHED.has(progress.status)) {
            stops.get(job.id)?.();
            stops.delete(job.id);
            announce(`Job ${job.filename}: ${progress.status.toLowerCase()}`);
            replace(row.actions, actions({ ...shown }));
          }
        },
        error(error) {
          replace(row.status, errorBox(error));
        },
      }),
    );
  }

  function actions(job) {
    if (job.status !== 'SUCCEEDED') return job.error ?? '';
    return ['CSV', 'JSONL'].map((format) =>
      h(
        'button',
        { type: 'button', onclick: () => download(job.id, format), 'aria-label': `Download ${job.filename} results as ${format}` },
        `Download ${format}`,
      ),
    );
  }

  async function draw() {
    const { jobs } = await gql(JOBS, { model: model?.id ?? null });
    const rows = jobs.edges.map(({ node: job }) => {
      const cells = {
        status: h('span', {}, job.status),
        bar: h('span', {}, bar(job)),
        rows: h('span', {}, `${job.rowsDone} (${job.rowsFailed} failed)`),
        actions: h('span', {}, actions(job)),
      };
      follow(job, cells);
      return [job.filename, cells.status, cells.bar, cells.rows, when(job.createdAt), cells.actions];
    });
    replace(list, table('Batch jobs, newest first', ['File', 'Status', 'Progress', 'Rows', 'Created', 'Results'], rows));
  }

  replace(root, model ? modelHeader(model, '/jobs') : h('h1', {}, 'Batch jobs'), form, list);
  await draw();
  return () => {
    for (const stop of stops.values()) stop();
  };
}
