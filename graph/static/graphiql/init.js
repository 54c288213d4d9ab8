/*
 * ModelServe's GraphiQL: queries and mutations go over HTTP POST with the headers typed into
 * the Headers editor; subscriptions go over graphql-transport-ws (graphql-ws), whose
 * connection_init payload carries that Authorization header, because browsers cannot set
 * headers on a websocket handshake.
 */
(function () {
  "use strict";

  const root = document.getElementById("graphiql");
  const endpoint = new URL(root.dataset.endpoint, window.location.href);
  const socketUrl = new URL(endpoint);
  socketUrl.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";

  const DEFAULT_QUERY = `# ModelServe GraphiQL
#
# Most fields need an access token. Get one with
#
#   mutation {
#     login(input: {email: "...", password: "..."}) {
#       ... on AuthPayload { accessToken }
#     }
#   }
#
# then open Headers (below) and enter
#
#   {"Authorization": "Bearer <accessToken>"}
#
# Queries and mutations send it over HTTP; subscriptions
# send it when their websocket connects.
# Run with Ctrl-Enter.

{
  me {
    id
    username
  }
}
`;

  function authorizationOf(headers) {
    for (const [name, value] of Object.entries(headers || {})) {
      if (name.toLowerCase() === "authorization" && value != null) {
        return String(value);
      }
    }
    return null;
  }

  async function overHttp(params, headers) {
    const sent = { "content-type": "application/json", accept: "application/json" };
    for (const [name, value] of Object.entries(headers || {})) {
      sent[name] = String(value);
    }
    const response = await fetch(endpoint, {
      method: "POST",
      headers: sent,
      body: JSON.stringify(params),
      credentials: "same-origin",
    });
    const text = await response.text();
    try {
      return JSON.parse(text);
    } catch {
      return { errors: [{ message: `HTTP ${response.status}: ${text.slice(0, 500)}` }] };
    }
  }

  // One websocket client per Authorization value: the server authenticates a socket once,
  // at connection_init, so a changed header needs a new connection.
  let socket = null;
  let socketAuthorization = null;

  function socketFor(authorization) {
    if (socket !== null && authorization === socketAuthorization) {
      return socket;
    }
    if (socket !== null) {
      socket.dispose();
    }
    socketAuthorization = authorization;
    socket = graphqlWs.createClient({
      url: socketUrl.href,
      lazy: true,
      connectionParams: authorization === null ? {} : { authorization },
      // A dropped socket may come back; a refused token (4403) will not, so say so at once.
      retryAttempts: 2,
      shouldRetry: (event) => !(event && event.code === 4403),
    });
    return socket;
  }

  // graphql-ws reports a closed socket as a CloseEvent, which GraphiQL would print as "{}";
  // a list of plain errors prints as a GraphQL response would, without a stack trace.
  function readable(error) {
    if (Array.isArray(error) || error instanceof Error) {
      return error;
    }
    if (error && typeof error.code === "number") {
      const hint =
        error.code === 4403
          ? ': set {"Authorization": "Bearer <accessToken>"} in the Headers editor'
          : "";
      return [{ message: `websocket closed (${error.code} ${error.reason || ""})${hint}` }];
    }
    return new Error(String(error));
  }

  function overSocket(params, headers) {
    const client = socketFor(authorizationOf(headers));
    return {
      subscribe(observer) {
        const stop = client.subscribe(params, {
          next: (value) => observer.next(value),
          error: (error) => observer.error(readable(error)),
          complete: () => observer.complete(),
        });
        return { unsubscribe: stop };
      },
    };
  }

  // Parsed here rather than taken from GraphiQL's documentAST, which lags behind the
  // editor's text by a debounce and may still describe the previous operation.
  function isSubscription(params) {
    const { parse, getOperationAST } = GraphiQL.GraphQL;
    try {
      const operation = getOperationAST(parse(params.query), params.operationName || undefined);
      return operation !== null && operation.operation === "subscription";
    } catch {
      return false;
    }
  }

  function fetcher(params, options) {
    const headers = (options && options.headers) || {};
    if (isSubscription(params)) {
      return overSocket(params, headers);
    }
    return overHttp(params, headers);
  }

  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultQuery: DEFAULT_QUERY,
      defaultEditorToolsVisibility: "headers",
    }),
  );
})();
