// A database outage: a real PostgreSQL stopped and started again under the running service
// (`src/main.ts`: the API and the worker in one process, as `npm start` runs them).
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { loadConfig } from '../src/config.js';
import { closeDb, createDb, rows } from '../src/db/client.js';
import { seedThreads } from '../src/db/queries/seed.js';
import { startWorker } from '../src/worker.js';
import { projectWithKey } from './factories.js';
import { waitFor } from './helper.js';
import { ownPostgres, startService, type Service } from './processes.js';

const ADMIN_TOKEN = 'outage-admin-token-0123456789';

/** The fields of the API's answers that this test reads (each answer has some of them). */
interface Json {
  id: string;
  key: string;
  thread_id: string;
  category: unknown;
  results: { id: string }[];
}
const ZERO = '00000000-0000-4000-8000-000000000000';

const topologies: Record<string, (t: Test, env: Record<string, string>) => Promise<Service[]>> = {
  'npm start (API and worker in one process)': async (t, env) => [await startService(t, 'src/main.ts', env)],
  'production (start:api and start:worker)': async (t, env) => [
    await startService(t, 'src/server.ts', env),
    await startService(t, 'src/worker.ts', env, '/metrics'),
  ],
};

for (const [topology, start] of Object.entries(topologies)) {
  t.test(
    `${topology}: 503 while the database is away, nothing exits, everything recovers, nothing acknowledged is lost`,
    async (t) => {
      await outage(t, start);
    },
  );
}

// `npm start` serves the API before its worker has started: a database that goes away in between must
// not end the process (the worker's start used to throw).
t.test(
  'a worker started while the database is away does not fail: it starts, and labels, once the database is back',
  async (t) => {
    const pg = await ownPostgres(t);
    const db = createDb(pg.url, { max: 2 });
    t.teardown(() => closeDb(db));
    const { projectId } = await projectWithKey(db);
    await seedThreads(db, { projectId, count: 5 });
    await pg.stop();
    const config = loadConfig({ DATABASE_URL: pg.url, CLASSIFIER_LATENCY_MS: '0', LOG_LEVEL: 'silent' });
    const worker = await startWorker({ config, db, log: pino({ level: 'silent' }), databaseUrl: pg.url });
    t.teardown(() => worker.stop());
    t.pass('startWorker resolved while the database was away');

    await pg.start();
    const unlabelled = async () =>
      (await rows<{ n: number }>(db, sql`select count(*)::int as n from threads where category_id is null`))[0].n;
    await waitFor('the threads waiting labelled', async () => (await unlabelled()) === 0, { timeoutMs: 60_000 });
    t.equal(await unlabelled(), 0, 'the threads waiting are labelled');
  },
);

async function outage(t: Test, start: (t: Test, env: Record<string, string>) => Promise<Service[]>) {
  const pg = await ownPostgres(t);
  // At info, as an operator runs it: the log is checked against what the README says it shows.
  const processes = await start(t, {
    DATABASE_URL: pg.url,
    ADMIN_TOKEN,
    LLM_LATENCY_MS: '0',
    CLASSIFIER_LATENCY_MS: '3000',
    LOG_LEVEL: 'info',
  });
  const service = processes[0];
  const allRunning = () => processes.every((p) => p.running());
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(service.base + path, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).catch(async (err: Error) => {
      const exit = await Promise.race([service.exited, sleep(3000).then(() => null)]);
      const state = exit ? `exited with ${exit.code ?? exit.signal}` : 'still running';
      // Why it exited first: CI shows only the start of a long message.
      const why = service
        .output()
        .split('\n')
        .filter((line) => line.includes('uncaught error'))
        .join('\n');
      throw new Error(
        `${method} ${path}: ${err.cause instanceof Error ? err.cause.message : err.message} (the process: ${state})\n${why}\n${service.output()}`,
      );
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: (text ? JSON.parse(text) : null) as Json };
  };
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const team = (await call('POST', '/admin/v1/teams', { name: 'Acme' }, admin)).json;
  const project = (
    await call('POST', `/admin/v1/teams/${team.id}/projects`, { project_name: 'bot', product_name: 'cli' }, admin)
  ).json;
  const { key } = (await call('POST', `/admin/v1/projects/${project.id}/api-keys`, { name: 'k' }, admin)).json;
  const auth = { 'x-api-key': key };
  const P = `/query/v1/projects/${project.id}`;
  const chat = (question: string) => call('POST', `${P}/chat`, { question }, auth);
  const thread = (id: string) => call('GET', `${P}/threads/${id}/`, undefined, auth);

  const before = await chat('What are the system requirements?');
  t.equal(before.status, 200, 'a chat before the outage');
  // Answered just before the outage: its classification (3 s) is running when the database goes.
  const inFlight = await chat('My build hangs with an error, what can I do?');
  t.equal(inFlight.status, 200);
  const [category] = (await call('GET', `${P}/categories/`, undefined, auth)).json.results;
  const db = createDb(pg.url, { max: 1 });
  await waitFor('the worker to take the classification', async () => {
    const [locked] = await rows<{ n: number }>(
      db,
      sql`select count(*)::int as n from graphile_worker.jobs where locked_at is not null and task_identifier = 'threads__classify'`,
    );
    return locked.n > 0;
  });
  await closeDb(db);

  await pg.stop();
  const routes: [string, string, unknown?, Record<string, string>?][] = [
    ['POST', `${P}/chat`, { question: 'Is anyone there?' }],
    ['GET', `${P}/threads/`],
    ['GET', `${P}/threads/${before.json.thread_id}/`],
    ['PATCH', `${P}/threads/${before.json.thread_id}/`, { category_id: category.id }],
    ['GET', `${P}/categories/`],
    ['POST', `${P}/categories/`, { name: 'Billing' }],
    ['GET', `${P}/categories/stats`],
    ['GET', `${P}/categories/${category.id}/`],
    ['PATCH', `${P}/categories/${category.id}/`, { description: 'x' }],
    ['DELETE', `${P}/categories/${ZERO}/`],
    ['GET', '/admin/v1/teams', undefined, admin],
    ['POST', '/admin/v1/teams', { name: 'B' }, admin],
    ['GET', '/admin/v1/classification', undefined, admin],
    ['GET', '/ready'],
  ];
  for (const [method, path, body, headers] of routes) {
    const res = await call(method, path, body, headers ?? auth);
    t.equal(res.status, 503, `${method} ${path}: 503`);
    t.ok(Number(res.headers.get('retry-after')) > 0, `${method} ${path}: Retry-After`);
    t.match(
      res.json,
      { statusCode: 503, error: 'Service Unavailable', message: 'database unavailable' },
      `${method} ${path}: the error shape`,
    );
  }
  const health = await call('GET', '/health');
  t.equal(health.status, 200, '/health stays 200');

  // The in-flight classification fails to save its label, the worker's pool stops, and a new one cannot
  // start while the database is away.
  const output = () => processes.map((p) => p.output()).join('\n');
  await waitFor(
    "the interrupted job's failure, the stopped pool and the failed restart in the log",
    () =>
      /Failed task \d+ \(threads__classify/.test(output()) &&
      output().includes('the job pool stopped') &&
      output().includes('worker: cannot start yet'),
    { timeoutMs: 60_000 },
  );
  t.ok(allRunning(), 'every process is still running after the outage');

  await pg.start();
  const recovered = await waitFor(
    'the API to answer again',
    async () => {
      const res = await chat('Back again: how do I configure the CLI?');
      return res.status === 200 ? res : null;
    },
    { timeoutMs: 60_000 },
  );
  t.ok(recovered, 'the API answers again');

  t.equal((await thread(before.json.thread_id)).status, 200, 'the chat answered before the outage is there');
  t.equal((await thread(inFlight.json.thread_id)).status, 200, 'so is the one whose classification was in flight');

  // The worker resumes: the classification interrupted by the outage, and one of a thread created after it.
  const labelled = async (id: string) => (await thread(id)).json.category !== null;
  await waitFor(
    'both threads labelled',
    async () => (await labelled(inFlight.json.thread_id)) && (await labelled(recovered.json.thread_id)),
    { timeoutMs: 60_000 },
  );
  t.ok(await labelled(inFlight.json.thread_id), 'the interrupted classification resumed and labelled its thread');
  t.ok(await labelled(recovered.json.thread_id), 'a thread created after the outage is labelled');
  t.ok(allRunning(), 'still running');
  for (const p of processes) {
    t.notMatch(p.output(), /error handlers/, 'every pool handles its errors');
    p.child.kill('SIGTERM');
    t.equal((await p.exited).code, 0, 'and it stops cleanly');
  }

  // The operations guide's "A database outage" section: these lines, as warnings (info once it is back),
  // none with a stack trace, and no error line: an outage is an expected condition.
  const entries = output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: number; msg: string; reason?: string });
  const logged = (msg: string, level: number) => entries.some((e) => e.msg === msg && e.level === level);
  const promised: [string, number][] = [
    ['database fault', 40],
    ['readiness check failed', 40],
    ['worker: database connection lost', 40],
    ['worker: the job pool stopped (database unavailable?); starting a new one', 40],
    ['worker: cannot start yet', 40],
    ['worker: released the jobs of the stopped pool', 30],
    ['worker: running again', 30],
  ];
  for (const [msg, level] of promised) t.ok(logged(msg, level), `the log says "${msg}" (level ${level})`);
  const guide = ['docs/operations.md', 'README.md'].find((f) => existsSync(f))!;
  const documented = readFileSync(guide, 'utf8').replace(/\s+/g, ' ');
  for (const [msg] of promised) t.ok(documented.includes(msg), `${guide} names "${msg}"`);
  t.ok(
    entries
      .filter((e) => e.msg === 'database fault')
      .every((e) => /ECONNREFUSED|terminat|closed|shutting down/i.test(e.reason ?? '')),
    'each database fault gives the reason',
  );
  t.ok(
    entries.some((e) => /^Failed task \d+ \(threads__classify/.test(e.msg) && e.level === 40),
    'the interrupted job: a warning',
  );
  t.same(
    entries.filter((e) => e.level >= 50).map((e) => e.msg),
    [],
    'no error line',
  );
  t.notMatch(output(), /^\s+at \S|\\n\s+at \S|^Trace:/m, 'no stack trace');
}
