// The console's browser tests: the real server (API and worker in this process, as npm start runs them) on
// 127.0.0.1, and one headless Chromium per test file (Debian's, driven by playwright-core). Each test gets a
// fresh browser context, so what one tab keeps in sessionStorage is not seen by the next.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Locator, type Page } from 'playwright-core';
import { pino } from 'pino';
import type { Test } from 'tap';
import { closeDb, createDb } from '../../src/db/client.js';
import type { Classifier } from '../../src/models/classifier.js';
import type { LlmClient } from '../../src/models/llm.js';
import { startWorker } from '../../src/worker.js';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { apiDb } from '../../src/server.js';
import { ADMIN_TOKEN, testDatabase } from '../helper.js';
import { projectWithKey } from '../factories.js';

export { ADMIN_TOKEN };

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// tap runs every test file from the project's root.
const SCREENSHOTS = path.resolve('test/console/screenshots');
export const SIZES = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
] as const;

export type Console = Awaited<ReturnType<typeof startConsole>>;

/**
 * The server listening on a free port with a worker beside it (a files source only becomes ready once a worker
 * has indexed its documents), a project with a key, and the browser. All closed in teardown.
 */
export async function startConsole(
  t: Test,
  opts: { env?: Record<string, string>; llm?: LlmClient; workerClassifier?: Classifier } = {},
) {
  // The server's warnings and errors (API and worker) are kept, and printed if the file fails: a browser test
  // that fails on a 500 then says why.
  const logged: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void logged.push(line) });
  t.teardown(() => {
    if (!t.passing() && logged.length > 0) console.error(`the server logged:\n${logged.join('')}`);
  });
  const url = await testDatabase(t);
  const config = loadConfig({
    DATABASE_URL: url,
    DATABASE_POOL_SIZE: '8',
    LLM_LATENCY_MS: '0',
    CLASSIFIER_LATENCY_MS: '0',
    OVERLOAD_EVENT_LOOP_DELAY_MS: '0',
    ADMIN_TOKEN,
    ...opts.env,
  });
  const db = apiDb(url, config);
  const app = await buildApp({ config, db, llm: opts.llm, logger: log });
  t.teardown(async () => {
    await app.close();
    await closeDb(db);
  });
  const ctx = { app, db, config, url };
  await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  const address = ctx.app.server.address();
  if (!address || typeof address === 'string') throw new Error('the server is not listening on a port');
  const base = `http://127.0.0.1:${address.port}`;

  const workerDb = createDb(ctx.url, { max: 4 });
  const worker = await startWorker({
    config: ctx.config,
    db: workerDb,
    log,
    databaseUrl: ctx.url,
    classifier: opts.workerClassifier,
  });
  t.teardown(async () => {
    await worker.stop(1000);
    await closeDb(workerDb);
  });

  if (!existsSync(CHROMIUM))
    throw new Error(`the browser tests need Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  // A container's /dev/shm is often 64 MB, too small for Chromium's shared memory: it uses /tmp instead.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-dev-shm-usage'] });
  t.teardown(() => browser.close());

  const project = await projectWithKey(ctx.db);
  return { ...ctx, base, browser, project, ...apiClients(base, project.projectId, project.key) };
}

/** Plain HTTP calls to the same server, to check what the console did (or to set up what it shows). */
function apiClients(base: string, projectId: string, key: string) {
  const call = async <T>(url: string, headers: Record<string, string>, method = 'GET', body?: unknown) => {
    const res = await fetch(url, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  };
  return {
    /** `projectApi('/categories/')` with the project's key. */
    projectApi: <T>(p: string, method?: string, body?: unknown) =>
      call<T>(`${base}/query/v1/projects/${projectId}${p}`, { 'x-api-key': key }, method, body),
    /** `adminApi('/teams?limit=1')` with the admin token. */
    adminApi: <T>(p: string, method?: string, body?: unknown) =>
      call<T>(`${base}/admin/v1${p}`, { authorization: `Bearer ${ADMIN_TOKEN}` }, method, body),
  };
}

/**
 * A new tab in a context of its own, at the desktop size. What must never happen in it is recorded: a script
 * error, or anything the Content-Security-Policy refused (Chromium reports both on the page's console).
 * `t.same(faults, [])` at the end of a test checks them.
 */
export async function newTab(c: Console) {
  const context = await c.browser.newContext({ viewport: SIZES[0] });
  // Generous: CI's two cores run these beside the rest of the suite.
  context.setDefaultTimeout(30_000);
  const page = await context.newPage();
  const faults: string[] = [];
  page.on('pageerror', (err) => faults.push(`script error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content.Security.Policy|Refused to/i.test(msg.text())) faults.push(msg.text());
  });
  return { page, faults, close: () => context.close() };
}

/** Opens a route of the console (`#/p/overview`); the page must answer with its one heading. */
export async function open(page: Page, c: Console, route: string, heading?: string) {
  await page.goto(`${c.base}/console/${route}`);
  if (heading) await page.getByRole('heading', { level: 1, name: heading, exact: true }).waitFor();
}

/**
 * Screenshots of what the page shows, at the desktop and the phone size, into test/console/screenshots/; at
 * each size the page must fit the screen's width (a wide table scrolls in its own box, not the page).
 */
export async function screenshots(t: Test, page: Page, name: string) {
  await mkdir(SCREENSHOTS, { recursive: true });
  const before = page.viewportSize();
  for (const size of SIZES) {
    await page.setViewportSize(size);
    const wider = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    t.equal(wider, 0, `${name} at ${size.width}x${size.height}: no wider than the screen`);
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${size.width}x${size.height}.png`), fullPage: true });
  }
  if (before) await page.setViewportSize(before);
}

/** Signs the tab in to the project console (the project of `c` unless told), from the sign-in screen. */
export async function signInProject(
  page: Page,
  c: Console,
  who = { projectId: c.project.projectId, key: c.project.key },
) {
  await page.goto(`${c.base}/console/#/p/overview`);
  await page.getByLabel('Project id').fill(who.projectId);
  await page.getByLabel('API key').fill(who.key);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Signs the tab in to the back office with `token` (the server's ADMIN_TOKEN unless told). */
export async function signInAdmin(page: Page, c: Console, token = ADMIN_TOKEN) {
  await page.goto(`${c.base}/console/#/admin/teams`);
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * The body rows of the table with this caption, each a list of its cells' text (as shown, trimmed), once the
 * page has loaded what it shows (nothing on it is aria-busy).
 */
export async function tableRows(page: Page, caption: string): Promise<string[][]> {
  const table = page.getByRole('table', { name: caption, exact: true });
  await table.waitFor();
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));
  return table
    .locator('tbody tr')
    .evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.innerText.trim())));
}

/**
 * Presses Tab until `target` has the focus (at most `limit` presses), as a keyboard user moves through the page;
 * returns whether the focused control shows that it has the focus (an outline or a ring).
 */
export async function tabTo(page: Page, target: Locator, limit = 60): Promise<{ ring: boolean }> {
  await target.waitFor();
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el) => el === document.activeElement).catch(() => false)) {
      const ring = await target.evaluate((el) => {
        const style = getComputedStyle(el);
        return (style.outlineStyle !== 'none' && style.outlineWidth !== '0px') || style.boxShadow !== 'none';
      });
      return { ring };
    }
  }
  throw new Error(`${String(target)} never got the focus in ${limit} presses of Tab`);
}
