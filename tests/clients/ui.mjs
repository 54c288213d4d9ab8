// ModelServe's dashboard in headless Chromium, as a person would use it: sign in, promote a
// version and roll it back, watch a prediction made elsewhere arrive in the live feed, submit
// a batch job and watch it reach 100 %, create and revoke an API key, then a phone-width
// screen, a refreshed session and signing out.
//
// Usage: node ui.mjs CONFIG_JSON
//   CONFIG_JSON: {base, email, password, token, model, modelId, rows, jobFile, screenshots}
// Prints one JSON document (what the page did and showed); exits 1, with the problems on
// stderr, when the page reached another host, logged an error or broke its CSP.
import { join } from 'node:path';
import { TIMEOUT_MS, problemsOf, watchedBrowser } from './browser.mjs';

const config = JSON.parse(process.argv[2] ?? '{}');
const server = new URL(config.base);
const endpoint = new URL('/graphql', server);
const PREDICT = `query($model: String!, $rows: FeatureMatrix!) {
  predict(model: $model, rows: $rows) { requestId }
}`;

const browser = await watchedBrowser(server, { secret: config.token });
const { page, seen } = browser;
const steps = {};

const textOf = (selector) => page.locator(selector).first().innerText();
const frames = (type) =>
  seen.framesSent.map((frame) => JSON.parse(frame)).filter((message) => message.type === type);

// Every form control with no accessible name: no <label for>, no wrapping label, no aria-label.
const unlabelled = () =>
  page.evaluate(() =>
    [...document.querySelectorAll('input, select, textarea')]
      .filter((control) => control.labels.length === 0 && !control.getAttribute('aria-label'))
      .map((control) => control.outerHTML),
  );

// The accessible names of what Tab reaches, in order, from the skip link at the top.
async function tabOrder(stops) {
  await page.focus('.skip');
  const reached = [];
  for (let i = 0; i < stops; i += 1) {
    await page.keyboard.press('Tab');
    reached.push(
      await page.evaluate(() => {
        const element = document.activeElement;
        if (element === document.body) return '(page)';
        const label = element.labels?.[0]?.textContent;
        return (label ?? element.getAttribute('aria-label') ?? element.textContent).trim();
      }),
    );
  }
  return reached;
}

async function predictUntil(done) {
  const predicted = [];
  const start = Date.now();
  while (!(await done(predicted))) {
    if (Date.now() - start > TIMEOUT_MS) throw new Error('no prediction reached the live feed');
    const answer = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${config.token}` },
      body: JSON.stringify({ query: PREDICT, variables: { model: config.model, rows: config.rows } }),
    }).then((r) => r.json());
    predicted.push(answer.data?.predict?.requestId ?? JSON.stringify(answer));
    await page.waitForTimeout(200);
  }
  return predicted;
}

let result;
try {
  // The first screen: what `/` costs until the sign-in form is usable.
  const sizes = [];
  page.on('response', async (response) => {
    const body = await response.body().catch(() => Buffer.alloc(0));
    sizes.push({ url: response.url(), bytes: body.length, status: response.status() });
  });
  const response = await page.goto(new URL('/', server).href, { waitUntil: 'load' });
  await page.waitForSelector('form[aria-labelledby="signin-title"] input[type=email]');
  await page.waitForLoadState('networkidle');
  steps.firstScreen = {
    url: page.url(),
    policy: response.headers()['content-security-policy'] ?? null,
    requests: sizes.length,
    bytes: sizes.reduce((sum, s) => sum + s.bytes, 0),
    statuses: sizes.map((s) => s.status),
  };
  steps.signInUnlabelled = await unlabelled();
  steps.signInTabOrder = await tabOrder(4);

  // Sign in with the keyboard only.
  await page.focus('input[type=email]');
  await page.keyboard.type(config.email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(config.password);
  await page.keyboard.press('Enter');
  await page.waitForSelector(`a:text-is("${config.model}")`);
  steps.stored = await page.evaluate(() => Object.keys(sessionStorage));
  steps.who = await textOf('#who');

  // Promote v2 with the keyboard, then v1 with a click, then roll back to v2.
  await page.click(`a:text-is("${config.model}")`);
  const promote2 = page.locator('button[data-action=promote][data-version="2"]');
  await promote2.focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('production')?.textContent.includes('v2'));
  steps.afterPromote = await textOf('#production');
  steps.modelUnlabelled = await unlabelled();
  steps.modelTabOrder = await tabOrder(15);
  await page.click('button[data-action=promote][data-version="1"]');
  await page.waitForSelector('button[data-action=rollback]');
  steps.beforeRollback = await textOf('#production');
  await page.click('button[data-action=rollback]');
  await page.waitForFunction(
    () => document.getElementById('production')?.textContent.startsWith('production → v2'),
  );
  steps.afterRollback = await textOf('#production');
  steps.history = await page.locator('section[aria-labelledby=history] tbody tr').count();

  // The live feed: predictions made elsewhere arrive through the subscription.
  await page.click('nav.tabs a:text-is("Live feed")');
  await page.waitForSelector('#feed-state');
  const start = Date.now();
  while (!frames('subscribe').some((m) => m.payload.query.includes('predictions'))) {
    if (Date.now() - start > TIMEOUT_MS) throw new Error('the predictions subscription was never sent');
    await page.waitForTimeout(50);
  }
  const predicted = await predictUntil(async () => (await page.locator('#feed tr').count()) > 0);
  steps.live = {
    predicted,
    shown: await page.locator('#feed tr').first().getAttribute('data-request-id'),
    state: await textOf('#feed-state'),
  };

  // A batch job submitted through the form, followed to 100 %, and its results downloaded.
  await page.click('nav.tabs a:text-is("Jobs")');
  await page.setInputFiles('input[type=file]', config.jobFile);
  await page.click('button:text-is("Submit job")');
  await page.waitForFunction(
    () => [...document.querySelectorAll('.percent')].some((e) => e.textContent === '100 %'),
  );
  const download = page.waitForEvent('download');
  await page.click('button:text-is("Download CSV")');
  const downloaded = await download;
  steps.job = {
    percent: await textOf('.percent'),
    progressSubscribed: frames('subscribe').some((m) => m.payload.query.includes('jobProgress')),
    download: downloaded.suggestedFilename(),
    failure: await downloaded.failure(),
  };

  // Analytics with the time-range picker, then the comparison of two versions.
  await page.click('nav.tabs a:text-is("Analytics")');
  await page.waitForSelector('svg.chart polyline');
  await page.selectOption('select[name=range]', '1h');
  await page.waitForSelector('dl[data-range="1h"] #count');
  steps.analytics = {
    count: Number(await textOf('#count')),
    charts: await page.locator('svg.chart').count(),
    unlabelled: await unlabelled(),
  };
  if (config.screenshots) await page.screenshot({ path: join(config.screenshots, 'dashboard.png'), fullPage: true });
  await page.click('nav.tabs a:text-is("Compare")');
  await page.waitForSelector('.columns section h2');
  steps.compare = await page.locator('.columns section h2').allInnerTexts();

  // An API key with two scopes: its secret shown once, then revoked.
  await page.click('#nav a:text-is("API keys")');
  await page.fill('input[name=name]', 'notebook');
  await page.check('input[value=READ]');
  await page.click('button:text-is("Create key")');
  await page.waitForSelector('#new-secret');
  const secret = await page.inputValue('#new-secret');
  await page.click('button[aria-label="Revoke notebook"]');
  await page.waitForSelector('td:text-matches("^revoked")');
  steps.keys = {
    secretShown: secret.length > 20,
    unlabelled: await unlabelled(),
    rows: await page.locator('tbody tr').allInnerTexts(),
  };

  // Webhooks: the account's endpoints and the form.
  await page.click('#nav a:text-is("Webhooks")');
  await page.waitForSelector('form[aria-labelledby=hook-title]');
  steps.webhooksUnlabelled = await unlabelled();

  // A phone-width screen: the page never scrolls sideways (wide tables scroll in their box).
  await page.setViewportSize({ width: 375, height: 800 });
  await page.goto(`${config.base}/ui#/models/${encodeURIComponent(config.modelId)}`);
  await page.waitForSelector('#production');
  steps.phone = await page.evaluate(() => document.documentElement.scrollWidth);
  await page.setViewportSize({ width: 1400, height: 900 });

  // An access token about to expire is refreshed before the next request.
  const before = await page.evaluate(() => JSON.parse(sessionStorage.getItem('modelserve.session')));
  await page.evaluate(() => {
    const stored = JSON.parse(sessionStorage.getItem('modelserve.session'));
    stored.accessTokenExpiresAt = new Date(Date.now() - 1000).toISOString();
    sessionStorage.setItem('modelserve.session', JSON.stringify(stored));
  });
  await page.click('#nav a:text-is("Models")');
  await page.waitForSelector(`a:text-is("${config.model}")`);
  const after = await page.evaluate(() => JSON.parse(sessionStorage.getItem('modelserve.session')));
  steps.refreshed = after.refreshToken !== before.refreshToken && after.accessToken !== before.accessToken;

  await page.click('#signout');
  await page.waitForSelector('form[aria-labelledby="signin-title"]');
  steps.signedOut = await page.evaluate(() => sessionStorage.getItem('modelserve.session'));

  if (config.screenshots) {
    await page.goto(endpoint.href, { waitUntil: 'load' });
    await page.waitForSelector('.graphiql-query-editor .CodeMirror');
    await page.screenshot({ path: join(config.screenshots, 'graphiql.png') });
  }
  result = {
    ...steps,
    foreign: seen.foreign,
    consoleErrors: seen.consoleErrors,
    pageErrors: seen.pageErrors,
    cspViolations: await browser.cspViolations(),
    hosts: [...new Set(seen.requests.map((request) => new URL(request.url).host))],
  };
} catch (error) {
  console.error(JSON.stringify({ steps, seen: { ...seen, framesReceived: seen.framesReceived.length } }));
  if (config.screenshots) await page.screenshot({ path: join(config.screenshots, 'failure.png') }).catch(() => {});
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
