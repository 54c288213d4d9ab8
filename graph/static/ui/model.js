// One model: its versions with their signatures, its aliases with one-click promote and
// roll back, and the alias history.
import { announce, errorBox, h, MODEL_HEAD, modelHeader, replace, table, when } from './dom.js';
import { gql } from './gql.js';

const MODEL = `query Model($id: ID!) {
  model(id: $id) {
    ${MODEL_HEAD} description
    versions(first: 100) { edges { node {
      id number status framework estimatorClass createdAt description
      signature { task nFeaturesIn featureNames classes columns { name type nullable } }
    } } }
    aliases { name updatedAt version { id number } }
    aliasHistory(first: 20) {
      alias reason createdAt actor { username }
      fromVersion { id number } toVersion { id number }
    }
  }
}`;

const SET_ALIAS = `mutation Promote($input: SetAliasInput!) {
  setAlias(input: $input) {
    __typename
    ... on SetAliasSuccess { alias { name version { number } } }
    ... on Error { message }
  }
}`;

function signatureOf(signature) {
  const columns = signature.columns?.length
    ? signature.columns.map(
        (c, i) => `${c.name ?? signature.featureNames?.[i] ?? `#${i}`}: ${c.type}${c.nullable ? '?' : ''}`,
      )
    : (signature.featureNames ?? []).map(String);
  const inputs = columns.length ? columns.join(', ') : `${signature.nFeaturesIn ?? '?'} features`;
  const classes = Array.isArray(signature.classes) ? ` → ${signature.classes.join(' | ')}` : '';
  return `${signature.task}: ${inputs}${classes}`;
}

export async function render(root, id) {
  const problem = h('div', { 'aria-live': 'assertive' });

  async function setAlias(model, alias, version, reason) {
    replace(problem);
    const { setAlias: result } = await gql(SET_ALIAS, {
      input: { modelId: model.id, alias, versionId: version.id, reason },
    });
    if (result.__typename !== 'SetAliasSuccess') {
      replace(problem, errorBox(result));
      return;
    }
    announce(`${alias} now points at v${version.number}`);
    await draw();
  }

  async function draw() {
    const { model } = await gql(MODEL, { id });
    if (!model) {
      replace(root, h('h1', {}, 'Model not found'));
      return;
    }
    const versions = model.versions.edges.map((edge) => edge.node);
    const production = model.aliases.find((alias) => alias.name === 'production');
    const lastMove = model.aliasHistory.find(
      (event) => event.alias === 'production' && event.fromVersion,
    );
    const versionRows = versions.map((version) => [
      `v${version.number}`,
      version.status,
      `${version.framework} ${version.estimatorClass}`,
      signatureOf(version.signature),
      model.aliases
        .filter((alias) => alias.version.id === version.id)
        .map((alias) => alias.name)
        .join(', ') || '—',
      when(version.createdAt),
      version.status === 'READY' && production?.version.id !== version.id
        ? h(
            'button',
            {
              type: 'button',
              class: 'primary',
              dataset: { action: 'promote', version: String(version.number) },
              onclick: () => setAlias(model, 'production', version, 'promoted from the dashboard'),
            },
            `Promote v${version.number} to production`,
          )
        : '',
    ]);
    const rollback =
      lastMove && production && lastMove.fromVersion.id !== production.version.id
        ? h(
            'button',
            {
              type: 'button',
              dataset: { action: 'rollback' },
              onclick: () =>
                setAlias(model, 'production', lastMove.fromVersion, 'rolled back from the dashboard'),
            },
            `Roll back production to v${lastMove.fromVersion.number}`,
          )
        : null;
    const history = model.aliasHistory.map((event) => [
      when(event.createdAt),
      event.alias,
      event.fromVersion ? `v${event.fromVersion.number}` : '—',
      event.toVersion ? `v${event.toVersion.number}` : '(removed)',
      event.actor?.username ?? '—',
      event.reason || '—',
    ]);
    replace(
      root,
      modelHeader(model, ''),
      model.description && h('p', {}, model.description),
      h(
        'section',
        { 'aria-labelledby': 'aliases' },
        h('h2', { id: 'aliases' }, 'Aliases'),
        h(
          'p',
          { id: 'production' },
          production ? `production → v${production.version.number}` : 'No production alias yet.',
          ' ',
          rollback,
        ),
        table(
          'Where each alias points',
          ['Alias', 'Version', 'Moved'],
          model.aliases.map((a) => [a.name, `v${a.version.number}`, when(a.updatedAt)]),
        ),
      ),
      problem,
      h(
        'section',
        { 'aria-labelledby': 'versions' },
        h('h2', { id: 'versions' }, 'Versions'),
        table(
          `${versions.length} versions`,
          ['Version', 'Status', 'Estimator', 'Signature', 'Aliases', 'Created', 'Action'],
          versionRows,
        ),
      ),
      h(
        'section',
        { 'aria-labelledby': 'history' },
        h('h2', { id: 'history' }, 'Alias history'),
        table('Latest alias moves', ['When', 'Alias', 'From', 'To', 'By', 'Reason'], history),
      ),
    );
  }

  await draw();
}
