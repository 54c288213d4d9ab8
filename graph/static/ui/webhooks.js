// Webhook endpoints (a model's, or your own) and each one's delivery log, with redelivery.
import { announce, errorBox, field, h, MODEL_HEAD, modelHeader, replace, table, when } from './dom.js';
import { gql } from './gql.js';

const ENDPOINTS = `query Endpoints($modelId: ID) {
  webhookEndpoints(modelId: $modelId) {
    id url description eventTypes enabled disabledReason failureStreak createdAt
    deliveries(first: 20) { nodes { id eventType status attempts lastStatusCode lastError createdAt } }
  }
}`;
const CREATE = `mutation CreateEndpoint($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) {
    __typename
    ... on WebhookSecretSuccess { secret endpoint { id url } }
    ... on Error { message }
  }
}`;
const REDELIVER = `mutation Redeliver($id: ID!) { redeliverWebhook(deliveryId: $id) { __typename ... on Error { message } } }`;
const EVENTS = ['VERSION_CREATED', 'ALIAS_CHANGED', 'MODEL_DELETED', 'JOB_COMPLETED', 'JOB_FAILED', 'DRIFT_DETECTED', 'QUOTA_EXCEEDED'];

export async function render(root, modelId = null) {
  const model = modelId
    ? (await gql(`query Head($id: ID!) { model(id: $id) { ${MODEL_HEAD} } }`, { id: modelId })).model
    : null;
  const problem = h('div', { 'aria-live': 'assertive' });
  const secret = h('div', { 'aria-live': 'polite' });
  const list = h('div', {});
  const url = h('input', { type: 'url', name: 'url', required: true, placeholder: 'https://example.com/hook' });
  const description = h('input', { name: 'description' });
  const boxes = EVENTS.map((type) =>
    h('input', { type: 'checkbox', name: 'event', value: type, checked: type === 'ALIAS_CHANGED' }),
  );

  async function draw() {
    const { webhookEndpoints } = await gql(ENDPOINTS, { modelId });
    replace(
      list,
      webhookEndpoints.length ? null : h('p', {}, 'No endpoints yet.'),
      webhookEndpoints.map((endpoint) =>
        h(
          'section',
          { class: 'card', 'aria-label': endpoint.url },
          h('h2', {}, endpoint.url),
          h(
            'p',
            {},
            endpoint.enabled ? 'Enabled' : `Disabled: ${endpoint.disabledReason ?? ''}`,
            ` · ${endpoint.eventTypes.join(', ').toLowerCase()} · ${endpoint.failureStreak} failures in a row`,
          ),
          table(
            'Delivery log',
            ['Created', 'Event', 'Status', 'Attempts', 'HTTP', 'Error', ''],
            endpoint.deliveries.nodes.map((delivery) => [
              when(delivery.createdAt),
              delivery.eventType,
              delivery.status,
              String(delivery.attempts),
              delivery.lastStatusCode ?? '—',
              delivery.lastError ?? '—',
              delivery.status === 'FAILED'
                ? h(
                    'button',
                    {
                      type: 'button',
                      onclick: async () => {
                        const { redeliverWebhook: result } = await gql(REDELIVER, { id: delivery.id });
                        if (result.message) replace(problem, errorBox(result));
                        else announce('Redelivery queued');
                        await draw();
                      },
                    },
                    'Redeliver',
                  )
                : '',
            ]),
          ),
        ),
      ),
    );
  }

  const form = h(
    'form',
    {
      class: 'card',
      'aria-labelledby': 'hook-title',
      onsubmit: async (event) => {
        event.preventDefault();
        replace(problem);
        const input = {
          url: url.value,
          description: description.value,
          eventTypes: boxes.filter((box) => box.checked).map((box) => box.value),
          modelId,
        };
        const { createWebhookEndpoint: result } = await gql(CREATE, { input });
        if (result.__typename !== 'WebhookSecretSuccess') {
          replace(problem, errorBox(result));
          return;
        }
        const shown = h('input', { readonly: true, value: result.secret, class: 'secret' });
        replace(
          secret,
          h('div', { class: 'card notice' }, h('p', {}, 'The signing secret, shown this once.'), field('Signing secret', shown)),
        );
        form.reset();
        await draw();
      },
    },
    h('h2', { id: 'hook-title' }, model ? 'Add an endpoint for this model' : 'Add an endpoint for your account'),
    field('URL', url),
    field('Description', description),
    h('fieldset', {}, h('legend', {}, 'Events'), boxes.map((box) => h('label', { class: 'check' }, box, ` ${box.value.toLowerCase()}`))),
    problem,
    h('button', { type: 'submit', class: 'primary' }, 'Add endpoint'),
  );
  replace(root, model ? modelHeader(model, '/webhooks') : h('h1', {}, 'Webhooks'), form, secret, list);
  await draw();
}
