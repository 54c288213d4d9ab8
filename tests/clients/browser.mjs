// Headless Debian Chromium (playwright-core) watching everything a page of the server does:
// requests (anything bound for another host is recorded, then refused), console errors,
// page errors, CSP violations and websocket frames.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

// A hang guard for every wait, not a speed expectation.
export const TIMEOUT_MS = 30_000;

export async function watchedBrowser(server, { secret = null, viewport } = {}) {
  const seen = {
    requests: [],
    foreign: [],
    consoleErrors: [],
    pageErrors: [],
    framesSent: [],
    framesReceived: [],
    sockets: [],
  };
  const fromServer = (url) => {
    const parsed = new URL(url);
    if (['data:', 'blob:', 'about:'].includes(parsed.protocol)) return true;
    return parsed.host === server.host;
  };
  const record = (url, kind) => {
    seen.requests.push({ kind, url: secret ? url.replace(secret, '<secret>') : url });
    if (!fromServer(url)) seen.foreign.push(url);
  };
  const userDataDir = await mkdtemp(join(tmpdir(), 'modelserve-browser-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    acceptDownloads: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: viewport ?? { width: 1400, height: 900 },
  });
  context.setDefaultTimeout(TIMEOUT_MS);
  await context.route('**/*', (route) => {
    const url = route.request().url();
    return fromServer(url) ? route.continue() : route.abort('blockedbyclient');
  });
  context.on('request', (request) => record(request.url(), request.resourceType()));
  // A CSP violation is also logged to the console; this keeps its details.
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__cspViolations.push({
        directive: event.effectiveDirective,
        blocked: event.blockedURI,
        source: event.sourceFile,
        line: event.lineNumber,
      });
    });
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (message) => {
    if (message.type() === 'error') seen.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => seen.pageErrors.push(String(error)));
  page.on('websocket', (socket) => {
    record(socket.url(), 'websocket');
    seen.sockets.push(socket.url());
    socket.on('framesent', ({ payload }) => seen.framesSent.push(String(payload)));
    socket.on('framereceived', ({ payload }) => seen.framesReceived.push(String(payload)));
  });
  return {
    context,
    page,
    seen,
    cspViolations: () => page.evaluate(() => window.__cspViolations),
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

// What must never happen on a page of ours, as lines for stderr.
export function problemsOf(seen, cspViolations) {
  return [
    ...seen.foreign.map((url) => `request to another host: ${url}`),
    ...seen.consoleErrors.map((text) => `console error: ${text}`),
    ...seen.pageErrors.map((text) => `page error: ${text}`),
    ...cspViolations.map((v) => `CSP violation: ${JSON.stringify(v)}`),
  ];
}
