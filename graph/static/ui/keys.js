// API keys: create one with scopes (its secret is shown once), list them, revoke one.
import { announce, errorBox, field, h, replace, table, when } from './dom.js';
import { gql } from './gql.js';

const KEYS = `query Keys { apiKeys(includeRevoked: true) { id name prefix scopes createdAt lastUsedAt revokedAt isActive } }`;
const CREATE = `mutation CreateKey($input: CreateApiKeyInput!) {
  createApiKey(input: $input) {
    __typename
    ... on CreateApiKeySuccess { secret key { id name } }
    ... on Error { message }
  }
}`;
const REVOKE = `mutation Revoke($id: ID!) { revokeApiKey(id: $id) { __typename ... on Error { message } } }`;
const SCOPES = ['READ', 'PREDICT', 'PUBLISH', 'ADMIN'];

export async function render(root) {
  const problem = h('div', { 'aria-live': 'assertive' });
  const secret = h('div', { 'aria-live': 'polite' });
  const list = h('div', {});
  const name = h('input', { name: 'name', required: true, maxlength: 100 });
  const boxes = SCOPES.map((scope) =>
    h('input', { type: 'checkbox', name: 'scope', value: scope, checked: scope === 'PREDICT' }),
  );
  const form = h(
    'form',
    {
      class: 'card',
      'aria-labelledby': 'key-title',
      onsubmit: async (event) => {
        event.preventDefault();
        replace(problem);
        const scopes = boxes.filter((box) => box.checked).map((box) => box.value);
        const { createApiKey: result } = await gql(CREATE, { input: { name: name.value, scopes } });
        if (result.__typename !== 'CreateApiKeySuccess') {
          replace(problem, errorBox(result));
          return;
        }
        const shown = h('input', { readonly: true, value: result.secret, class: 'secret', id: 'new-secret' });
        replace(
          secret,
          h(
            'div',
            { class: 'card notice' },
            h('p', {}, `The secret of “${result.key.name}”. It is shown this once: copy it now.`),
            field('Secret', shown),
          ),
        );
        shown.select();
        announce('API key created');
        form.reset();
        await draw();
      },
    },
    h('h2', { id: 'key-title' }, 'Create an API key'),
    field('Name', name),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Scopes'),
      boxes.map((box) => h('label', { class: 'check' }, box, ` ${box.value.toLowerCase()}`)),
    ),
    problem,
    h('button', { type: 'submit', class: 'primary' }, 'Create key'),
  );

  async function draw() {
    const { apiKeys } = await gql(KEYS);
    const rows = apiKeys.map((key) => [
      key.name,
      h('code', {}, key.prefix),
      key.scopes.join(', ').toLowerCase(),
      when(key.createdAt),
      when(key.lastUsedAt),
      key.isActive
        ? h(
            'button',
            {
              type: 'button',
              'aria-label': `Revoke ${key.name}`,
              onclick: async () => {
                const { revokeApiKey: result } = await gql(REVOKE, { id: key.id });
                if (result.message) replace(problem, errorBox(result));
                announce(`${key.name} revoked`);
                await draw();
              },
            },
            'Revoke',
          )
        : `revoked ${when(key.revokedAt)}`,
    ]);
    replace(list, table('Your API keys', ['Name', 'Prefix', 'Scopes', 'Created', 'Last used', ''], rows));
  }

  replace(root, h('h1', {}, 'API keys'), form, secret, list);
  await draw();
}
