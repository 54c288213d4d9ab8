// The reference graphql-ws client against a live server.
// Usage: node graphql_ws.mjs SCENARIO CONFIG_JSON
//   CONFIG_JSON: {ws, http, token, model, modelId, versionId, ...}: see each scenario.
// Prints one JSON document: what the scenario saw (events, close codes).
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';

const [scenario, rawConfig] = process.argv.slice(2);
const config = JSON.parse(rawConfig ?? '{}');
const HANG_GUARD_MS = 30_000;

const PREDICTIONS = `subscription($model: String!) { predictions(model: $model) {
  requestId status rows versionNumber outputs errorCode } }`;
const MODEL_EVENTS = `subscription($model: String!) { modelEvents(model: $model) {
  kind versionNumber alias toVersionId } }`;
const PREDICT = `query($model: String!, $rows: FeatureMatrix!) {
  predict(model: $model, rows: $rows) { requestId predictions { value } } }`;
const SET_ALIAS = `mutation($model: ID!, $alias: String!, $version: ID!) {
  setAlias(input: {modelId: $model, alias: $alias, versionId: $version, reason: "graphql-ws"}) {
    __typename } }`;

function withTimeout(promise, what, ms = HANG_GUARD_MS) {
  let timer;
  const guard = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function deferred() {
  let resolve;
  const promise = new Promise((r) => (resolve = r));
  return { promise, resolve };
}

async function graphql(query, variables, token = config.token) {
  const response = await fetch(config.http, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(`${query}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

function client(options = {}) {
  const closes = [];
  const instance = createClient({
    url: config.ws,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${config.token}` },
    // Every close is reported, not retried: each scenario is about one socket.
    retryAttempts: 0,
    shouldRetry: () => false,
    ...options,
    on: { closed: (event) => closes.push({ code: event.code, reason: event.reason }), ...options.on },
  });
  return { instance, closes };
}

// Subscribes; resolves with the first `count` results, or rejects with the error, which for a
// closed socket is the CloseEvent graphql-ws hands the sink.
function collect(instance, payload, count = 1) {
  const results = [];
  return new Promise((resolve, reject) => {
    const dispose = instance.subscribe(payload, {
      next: (result) => {
        results.push(result);
        if (results.length === count) {
          dispose();
          resolve(results);
        }
      },
      error: reject,
      complete: () => resolve(results),
    });
  });
}

// The close code a subscription ends with, after up to `count` results (a stream may deliver
// events before it is closed), and the codes graphql-ws's `closed` listeners saw.
async function closedWith(instance, closes, payload, count = 1) {
  const outcome = await withTimeout(
    collect(instance, payload, count).then(
      (results) => ({ results }),
      (error) => ({ error }),
    ),
    'the socket to close',
  );
  await instance.dispose();
  const code = outcome.error?.code ?? closes[0]?.code ?? null;
  return { code, closedEvents: closes.map((c) => c.code), results: outcome.results ?? null };
}

const TYPENAME = { query: '{ __typename }' };
const ACCOUNT_EVENTS = { query: 'subscription { accountEvents { kind } }' };

// Opens a predictions stream with `connectionParams`, runs `end` once it is acknowledged, then
// keeps predicting (with the scenario's own token) until the stream closes; resolves with how.
async function endedBy(connectionParams, end) {
  const acked = deferred();
  const { instance, closes } = client({ connectionParams, on: { connected: acked.resolve } });
  let done = false;
  const outcome = closedWith(
    instance,
    closes,
    { query: PREDICTIONS, variables: { model: config.model } },
    Infinity,
  ).finally(() => (done = true));
  await withTimeout(acked.promise, 'connection_ack');
  await sleep(200); // the subscription reaches the event backend
  await end();
  const deadline = Date.now() + HANG_GUARD_MS;
  while (!done && Date.now() < deadline) {
    await graphql(PREDICT, { model: config.model, rows: [[0.1, 0.2, 0.3, 0.4]] });
    await Promise.race([outcome, sleep(500)]);
  }
  return outcome;
}

const scenarios = {
  // Both streams of a model see what other clients do meanwhile: a prediction, an alias move.
  async streams() {
    const acked = deferred();
    const { instance } = client({ on: { connected: acked.resolve } });
    const predictions = collect(instance, {
      query: PREDICTIONS,
      variables: { model: config.model },
    });
    const modelEvents = collect(instance, {
      query: MODEL_EVENTS,
      variables: { model: config.model },
    });
    await withTimeout(acked.promise, 'connection_ack');
    // The server has no "subscribed" message: act until the streams have seen something.
    const made = [];
    let seenPrediction = null;
    predictions.then(([result]) => (seenPrediction = result));
    const deadline = Date.now() + HANG_GUARD_MS;
    while (seenPrediction === null && Date.now() < deadline) {
      const data = await graphql(PREDICT, { model: config.model, rows: [[0.1, 0.2, 0.3, 0.4]] });
      made.push(data.predict);
      await Promise.race([predictions, sleep(500)]);
    }
    const [prediction] = await withTimeout(predictions, 'a prediction event');
    const moved = await graphql(SET_ALIAS, {
      model: config.modelId,
      alias: 'production',
      version: config.versionId,
    });
    const [event] = await withTimeout(modelEvents, 'a model event');
    await instance.dispose();
    return { made, prediction, aliasResult: moved.setAlias.__typename, modelEvent: event };
  },

  // connection_init without a usable token: 4403 Forbidden.
  async missingAuth() {
    const { instance, closes } = client({ connectionParams: {} });
    return closedWith(instance, closes, TYPENAME);
  },

  async badAuth() {
    const { instance, closes } = client({
      connectionParams: { authorization: 'Bearer not-a-token' },
    });
    return closedWith(instance, closes, TYPENAME);
  },

  // No connection_init within the server's wait: 4408. graphql-ws sends connection_init once
  // its connectionParams resolve, so a slow connectionParams is the client's own way to be late.
  async initTimeout() {
    const { instance, closes } = client({
      url: config.shortTimeoutWs,
      connectionParams: () => new Promise(() => {}),
    });
    return closedWith(instance, closes, TYPENAME);
  },

  // Two subscriptions under one id: 4409. graphql-ws takes ids from generateID.
  async duplicateId() {
    const { instance, closes } = client({ generateID: () => 'same-id' });
    collect(instance, ACCOUNT_EVENTS).catch(() => {});
    return closedWith(instance, closes, ACCOUNT_EVENTS);
  },

  // A second connection_init: 4429. graphql-ws never sends one itself; its `connected` event
  // hands over the socket, on which the test sends the second init, and graphql-ws reports the
  // close.
  async secondInit() {
    const { instance, closes } = client({
      on: {
        connected: (socket) => socket.send(JSON.stringify({ type: 'connection_init', payload: {} })),
      },
    });
    return closedWith(instance, closes, ACCOUNT_EVENTS);
  },

  // A subscribe before connection_ack: 4401 Unauthorized. graphql-ws always waits for the ack
  // before subscribing, so this one case speaks the protocol over a raw `ws` socket.
  async subscribeBeforeAck() {
    const socket = new WebSocket(config.ws, 'graphql-transport-ws');
    const closed = new Promise((resolve) => socket.on('close', (code) => resolve(code)));
    socket.on('open', () =>
      socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: TYPENAME })),
    );
    return { code: await withTimeout(closed, 'the socket to close') };
  },

  // Logging out the session a stream was opened with ends the stream (the server says 4403)
  // at one of its next events: streams re-check their session on events, at most once a second.
  async logout() {
    return endedBy({ authorization: `Bearer ${config.logoutToken}` }, () =>
      graphql('mutation { logout { ok } }', {}, config.logoutToken),
    );
  },

  // A stream opened with an API key (connection_init's apiKey) ends when the key is revoked.
  async keyRevoked() {
    return endedBy({ apiKey: config.apiKey }, async () => {
      const revoked = await graphql(
        'mutation($id: ID!) { revokeApiKey(id: $id) { __typename } }',
        { id: config.apiKeyId },
      );
      if (revoked.revokeApiKey.__typename !== 'RevokeApiKeySuccess') {
        throw new Error(`revokeApiKey: ${JSON.stringify(revoked)}`);
      }
    });
  },

  // A stream authorised by an access token ends when the token expires (4403 here too).
  async expiry() {
    const { instance, closes } = client({
      connectionParams: { authorization: `Bearer ${config.expiringToken}` },
    });
    return closedWith(instance, closes, {
      query: PREDICTIONS,
      variables: { model: config.model },
    });
  },
};

if (!(scenario in scenarios)) {
  console.error(`usage: node graphql_ws.mjs (${Object.keys(scenarios).join('|')}) CONFIG_JSON`);
  process.exit(2);
}
const result = await scenarios[scenario]();
console.log(JSON.stringify(result));
// graphql-ws may keep a retry or lazy-close timer alive; the scenario is over.
process.exit(0);
