// ModelServe's own GraphiQL page in headless Chromium, as a person would use it: set the
// Authorization header in the Headers editor, run a query, then run a predictions
// subscription and watch a prediction made elsewhere arrive in the result pane.
//
// Usage: GRAPHIQL_TOKEN=<access token> node graphiql.mjs http://127.0.0.1:PORT OWNER/MODEL SHOT.png
// Prints one JSON document (what the page did and showed); exits 1, with the problems on
// stderr, when the page reached another host, logged an error or broke its CSP.
import { TIMEOUT_MS, problemsOf, watchedBrowser } from './browser.mjs';

const [base, model, screenshot] = process.argv.slice(2);
const token = process.env.GRAPHIQL_TOKEN;
if (!base || !model || !screenshot || !token) {
  console.error('usage: GRAPHIQL_TOKEN=... node graphiql.mjs BASE_URL OWNER/MODEL SCREENSHOT');
  process.exit(2);
}
const server = new URL(base);
const endpoint = new URL('/graphql', server);

const QUERY = '{ me { id } models { edges { node { id } } } }';
const SUBSCRIPTION =
  `subscription { predictions(model: "${model}") { requestId status rows outputs } }`;
const PREDICT =
  `query($rows: FeatureMatrix!) { predict(model: "${model}", rows: $rows) { requestId } }`;
const HEADERS = `{"Authorization": "Bearer ${token}"}`;

const began = Date.now();
const timings = {};
const mark = (name) => {
  timings[name] = Date.now() - began;
};
// Anything bound elsewhere is recorded, then refused, so it can neither succeed nor hang.
const browser = await watchedBrowser(server, { secret: token });
const { page, seen } = browser;

let result;
try {
  // GraphiQL introspects the schema as it starts: the first POST it makes.
  const introspected = page.waitForResponse(
    (answer) => answer.url() === endpoint.href && answer.request().method() === 'POST',
  );
  const response = await page.goto(endpoint.href, { waitUntil: 'load' });
  const policy = response.headers()['content-security-policy'] ?? null;
  await page.waitForSelector('.graphiql-query-editor .CodeMirror');
  const introspection = (await introspected).status();
  mark('ready');

  const editors = {
    query: '.graphiql-query-editor .CodeMirror',
    headers: 'section.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror',
    response: '.graphiql-response .CodeMirror',
  };
  const valueOf = (selector) =>
    page.$eval(selector, (element) => element.CodeMirror.getValue());

  // Types into a CodeMirror editor as a person would; its bracket and quote closing
  // overtypes the closing characters we type, and the check below proves the result.
  async function typeInto(selector, text) {
    await page.click(selector);
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Backspace');
    await page.keyboard.type(text);
    await page.keyboard.press('Escape'); // close any autocompletion list
    const typed = await valueOf(selector);
    if (typed !== text) {
      throw new Error(`editor holds ${JSON.stringify(typed)}, not ${JSON.stringify(text)}`);
    }
  }

  async function run() {
    await page.click('button.graphiql-execute-button');
  }

  // The result pane's text once it holds any of ``needles``.
  async function waitForResponse(needles, timeout = TIMEOUT_MS) {
    const handle = await page.waitForFunction(
      ([selector, wanted]) => {
        const text = document.querySelector(selector)?.CodeMirror.getValue() ?? '';
        return wanted.some((needle) => text.includes(needle)) ? text : null;
      },
      [editors.response, needles],
      { timeout, polling: 100 },
    );
    return handle.jsonValue();
  }

  await page.click('.graphiql-editor-tools button[data-name="headers"]');
  await typeInto(editors.headers, HEADERS);

  await typeInto(editors.query, QUERY);
  await run();
  const queryText = await waitForResponse(['"data"', '"errors"']);
  const queryResult = JSON.parse(queryText);
  mark('queried');

  await typeInto(editors.query, SUBSCRIPTION);
  await run();
  // Predict once the subscription is on the wire, and again until one shows: the server
  // registers the subscriber a moment after it reads the subscribe message.
  const start = Date.now();
  while (!seen.framesSent.some((frame) => frame.includes('"subscribe"'))) {
    if (Date.now() - start > TIMEOUT_MS) throw new Error('the subscription was never sent');
    await page.waitForTimeout(50);
  }
  mark('subscribed');
  const predicted = [];
  let shown = null;
  while (shown === null) {
    if (Date.now() - start > TIMEOUT_MS) {
      throw new Error(`no prediction reached the result pane: ${await valueOf(editors.response)}`);
    }
    const answer = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: PREDICT, variables: { rows: [[0.1, 0.2, 0.3, 0.4]] } }),
    }).then((r) => r.json());
    predicted.push(answer.data?.predict?.requestId ?? JSON.stringify(answer));
    shown = await waitForResponse(['"predictions"'], 1000).catch(() => null);
  }
  mark('streamed');
  await page.screenshot({ path: screenshot });
  // The execute button stops a running subscription.
  await run();
  await page.waitForSelector('button.graphiql-execute-button[aria-label^="Execute"]');

  // Another Authorization header means another websocket, which the server refuses.
  await typeInto(editors.headers, '{"Authorization": "Bearer not-a-token"}');
  await typeInto(editors.query, SUBSCRIPTION);
  await run();
  const refused = await waitForResponse(['websocket closed']);
  mark('refused');

  const inits = seen.framesSent
    .map((frame) => JSON.parse(frame))
    .filter((message) => message.type === 'connection_init');
  result = {
    policy,
    introspection,
    requests: seen.requests,
    foreign: seen.foreign,
    consoleErrors: seen.consoleErrors,
    pageErrors: seen.pageErrors,
    cspViolations: await browser.cspViolations(),
    sockets: seen.sockets,
    // Which token each socket presented, without printing it.
    connectionInits: inits.map(({ payload }) =>
      payload?.authorization === `Bearer ${token}` ? 'token' : payload?.authorization ?? null,
    ),
    refused,
    query: queryResult,
    subscription: { predicted, shown: JSON.parse(shown) },
    screenshot,
    timings,
  };
} catch (error) {
  // What the page looked like when it went wrong, for whoever reads the failure.
  await page?.screenshot({ path: screenshot }).catch(() => {});
  const sent = seen.framesSent.length;
  const { requests, consoleErrors, pageErrors } = seen;
  console.error(JSON.stringify({ requests, consoleErrors, pageErrors, framesSent: sent }));
  throw error;
} finally {
  await browser.close();
}

console.log(JSON.stringify(result, null, 2));
const problems = problemsOf(result, result.cspViolations);
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
