// The dashboard's only way to the server: GraphQL over HTTP POST, the multipart request for
// uploads, and graphql-transport-ws for subscriptions. The session (access and refresh
// tokens) lives in sessionStorage and is refreshed before the access token expires.

const ENDPOINT = '/graphql';
const STORE = 'modelserve.session';
// Refresh this long before the access token's expiry, so a request never carries a dead one.
const REFRESH_MARGIN_MS = 30_000;

const AUTH_FIELDS = 'accessToken accessTokenExpiresAt refreshToken user { id username email }';
const REFRESH = `mutation Refresh($token: String!) {
  refreshToken(refreshToken: $token) { ${AUTH_FIELDS} }
}`;

export class GraphQLError extends Error {
  constructor(errors) {
    super(errors.map((error) => error.message).join('; '));
    this.code = errors[0]?.extensions?.code ?? null;
  }
}

export const session = {
  get() {
    try {
      return JSON.parse(sessionStorage.getItem(STORE));
    } catch {
      return null;
    }
  },
  set(payload) {
    sessionStorage.setItem(STORE, JSON.stringify(payload));
  },
  clear() {
    sessionStorage.removeItem(STORE);
    closeSocket();
  },
};

async function post(body, headers = {}) {
  const response = await fetch(ENDPOINT, {
    method: 'POST',
    headers: { accept: 'application/json', ...headers },
    body,
    credentials: 'same-origin',
  });
  let answer;
  try {
    answer = await response.json();
  } catch {
    throw new GraphQLError([{ message: `HTTP ${response.status}` }]);
  }
  if (answer.errors?.length) throw new GraphQLError(answer.errors);
  return answer.data;
}

// One refresh at a time: refresh tokens rotate, and presenting a used one ends the session.
let refreshing = null;

function refresh() {
  refreshing ??= (async () => {
    const current = session.get();
    try {
      const data = await post(
        JSON.stringify({ query: REFRESH, variables: { token: current.refreshToken } }),
        { 'content-type': 'application/json' },
      );
      session.set(data.refreshToken);
    } catch (error) {
      session.clear();
      window.dispatchEvent(new Event('modelserve:signedout'));
      throw error;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

async function token() {
  const current = session.get();
  if (!current) return null;
  if (Date.parse(current.accessTokenExpiresAt) - Date.now() < REFRESH_MARGIN_MS) await refresh();
  return session.get()?.accessToken ?? null;
}

async function authorized(send) {
  const bearer = await token();
  try {
    return await send(bearer ? { authorization: `Bearer ${bearer}` } : {});
  } catch (error) {
    if (error.code !== 'UNAUTHENTICATED' || !bearer) throw error;
    await refresh();
    return send({ authorization: `Bearer ${session.get().accessToken}` });
  }
}

export function gql(query, variables = {}) {
  const body = JSON.stringify({ query, variables });
  return authorized((auth) => post(body, { 'content-type': 'application/json', ...auth }));
}

export function signIn(email, password) {
  return gql(
    `mutation SignIn($input: LoginInput!) {
      login(input: $input) {
        __typename
        ... on AuthPayload { ${AUTH_FIELDS} }
        ... on Error { message }
      }
    }`,
    { input: { email, password } },
  );
}

// The GraphQL multipart request: `path` is where the file goes in the variables.
export function upload(query, variables, path, file) {
  return authorized((auth) => {
    const form = new FormData();
    form.append('operations', JSON.stringify({ query, variables }));
    form.append('map', JSON.stringify({ 0: [`variables.${path}`] }));
    form.append('0', file, file.name);
    return post(form, { 'x-modelserve-csrf': '1', ...auth });
  });
}

// graphql-transport-ws, the few messages a client needs. One socket serves every
// subscription; it authenticates once, in connection_init, so it is reopened (and the
// subscriptions sent again) when it closes, with a refreshed token when it was refused.
let socket = null;
let nextId = 0;
const active = new Map();

function closeSocket() {
  const open = socket;
  socket = null;
  open?.ws.close(1000);
}

async function openSocket() {
  const bearer = await token();
  const url = new URL(ENDPOINT, location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(url, 'graphql-transport-ws');
  const opened = { ws, ready: false, failures: 0 };
  socket = opened;
  ws.addEventListener('open', () =>
    ws.send(
      JSON.stringify({
        type: 'connection_init',
        payload: bearer ? { authorization: `Bearer ${bearer}` } : {},
      }),
    ),
  );
  ws.addEventListener('message', (event) => {
    const message = JSON.parse(event.data);
    const sink = active.get(message.id);
    if (message.type === 'connection_ack') {
      opened.ready = true;
      for (const [id, entry] of active) send(id, entry.payload);
    } else if (message.type === 'ping') {
      ws.send(JSON.stringify({ type: 'pong' }));
    } else if (message.type === 'next') {
      if (message.payload.errors?.length) sink?.error(new GraphQLError(message.payload.errors));
      else sink?.next(message.payload.data);
    } else if (message.type === 'error') {
      active.delete(message.id);
      sink?.error(new GraphQLError(message.payload));
    } else if (message.type === 'complete') {
      active.delete(message.id);
      sink?.complete?.();
    }
  });
  ws.addEventListener('close', async (event) => {
    if (socket !== opened) return;
    socket = null;
    if (!active.size || event.code === 1000) return;
    const refused = event.code === 4403 || event.code === 4401;
    if (refused && session.get()) await refresh().catch(() => {});
    if (!session.get()) return;
    setTimeout(() => active.size && !socket && openSocket(), 500);
  });
  return opened;
}

function send(id, payload) {
  if (socket?.ready) socket.ws.send(JSON.stringify({ id, type: 'subscribe', payload }));
}

/** Subscribe; returns a function that stops the subscription. */
export function subscribe(query, variables, sink) {
  const id = String(++nextId);
  const payload = { query, variables };
  active.set(id, { ...sink, payload });
  if (socket) send(id, payload);
  else openSocket();
  return () => {
    if (!active.delete(id)) return;
    if (socket?.ready) socket.ws.send(JSON.stringify({ id, type: 'complete' }));
    if (!active.size) closeSocket();
  };
}
