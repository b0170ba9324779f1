// Rate limits, failed authentications, body size, overload, statement timeouts, request ids.
import { setTimeout as sleep } from 'node:timers/promises';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { pino } from 'pino';
import t from 'tap';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { closeDb, createDb } from '../src/db/client.js';
import { ADMIN_TOKEN, build, drain, testDatabase, waitFor } from './helper.js';
import { projectClient, projectWithKey } from './factories.js';

const errorShape = (statusCode: number, code: string) => ({ statusCode, error: String, message: String, code });

t.test('per API key: RATE_LIMIT_PER_MINUTE requests a minute, then 429 with Retry-After', async (t) => {
  const { app, db } = await build(t, { env: { RATE_LIMIT_PER_MINUTE: '5' } });
  const a = await projectWithKey(db);
  const b = await projectWithKey(db);
  const api = projectClient(app, a.projectId, a.key);
  for (let i = 0; i < 5; i++) {
    const res = await api.get('/threads/');
    t.equal(res.statusCode, 200, `request ${i + 1} of 5`);
    t.equal(res.headers['x-ratelimit-remaining'], String(4 - i), 'the remaining budget is shown');
  }
  const limited = await api.get('/categories/');
  t.equal(limited.statusCode, 429, 'the sixth request in the minute, on any project route');
  t.match(limited.json(), errorShape(429, 'RATE_LIMITED'));
  const retryAfter = Number(limited.headers['retry-after']);
  t.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After: ${retryAfter} s`);
  t.equal(
    (await projectClient(app, b.projectId, b.key).get('/threads/')).statusCode,
    200,
    'another key has its own budget',
  );
  t.equal((await app.inject('/health')).statusCode, 200, 'operations routes are not limited');
});

t.test('failed authentications per client address: AUTH_FAILURES_PER_MINUTE, then 429 for that address', async (t) => {
  const { app, db } = await build(t, { env: { AUTH_FAILURES_PER_MINUTE: '3' } });
  const a = await projectWithKey(db);
  const url = `/query/v1/projects/${a.projectId}/threads/`;
  const from = (remoteAddress: string, key: string) =>
    app.inject({ url, remoteAddress, headers: { 'x-api-key': key } });
  t.equal((await from('10.0.0.1', 'dck_000000000000_nope')).statusCode, 401);
  t.equal((await from('10.0.0.1', 'garbage')).statusCode, 401);
  const admin = await app.inject({
    url: '/admin/v1/teams',
    remoteAddress: '10.0.0.1',
    headers: { authorization: 'Bearer wrong-token-0123456789' },
  });
  t.equal(admin.statusCode, 401, 'a bad admin token counts too');
  const refused = await from('10.0.0.1', 'dck_000000000000_nope');
  t.equal(refused.statusCode, 429, 'the fourth failure in the minute');
  t.match(refused.json(), errorShape(429, 'TOO_MANY_AUTH_FAILURES'));
  t.ok(Number(refused.headers['retry-after']) > 0, 'with Retry-After');
  t.equal(
    (await from('10.0.0.1', a.key)).statusCode,
    429,
    'that address is refused even with a valid key until the minute ends',
  );
  const adminAgain = await app.inject({
    url: '/admin/v1/teams',
    remoteAddress: '10.0.0.1',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  t.equal(adminAgain.statusCode, 429, 'and on the admin API');
  t.equal((await from('10.0.0.2', a.key)).statusCode, 200, 'another address is not affected');
});

t.test('a body over 256 KiB is a 413 with the error shape', async (t) => {
  const { app, db } = await build(t);
  const a = await projectWithKey(db);
  const res = await projectClient(app, a.projectId, a.key).post('/chat', { question: 'x'.repeat(300 * 1024) });
  t.equal(res.statusCode, 413);
  t.match(res.json(), errorShape(413, 'PAYLOAD_TOO_LARGE'));
});

t.test(
  'overload: beyond the heap limit the API sheds requests with 503 and Retry-After; /health still answers',
  async (t) => {
    const { app, db } = await build(t, { env: { OVERLOAD_HEAP_USED_MB: '1' } });
    const a = await projectWithKey(db);
    // under-pressure samples the heap once a second: the first requests may come before its first sample.
    const res = await waitFor('the API to shed load', async () => {
      const answer = await projectClient(app, a.projectId, a.key).get('/threads/');
      return answer.statusCode === 200 ? null : answer;
    });
    t.equal(res.statusCode, 503);
    t.match(res.json(), errorShape(503, 'OVERLOADED'));
    t.ok(Number(res.headers['retry-after']) > 0, 'with Retry-After');
    t.equal(
      (await app.inject({ url: '/admin/v1/teams', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).statusCode,
      503,
    );
    t.equal((await app.inject('/health')).statusCode, 200);
  },
);

t.test('a statement that waits past DATABASE_STATEMENT_TIMEOUT_MS is cancelled: 503, not a hang', async (t) => {
  const { app, db, url } = await build(t, { env: { DATABASE_STATEMENT_TIMEOUT_MS: '200' } });
  const a = await projectWithKey(db);
  // Another session holds a lock that the threads list must wait for, until the answer has come (or, if
  // the statement is never cancelled, until the test gives up waiting).
  const locker = postgres(url, { max: 1, onnotice: () => {} });
  t.teardown(() => locker.end());
  let locked!: () => void;
  const lockHeld = new Promise<void>((resolve) => (locked = resolve));
  let answered!: () => void;
  const answer = new Promise<void>((resolve) => (answered = resolve));
  let held = false;
  const release = locker.begin(async (tx) => {
    await tx`lock table threads in access exclusive mode`;
    held = true;
    locked();
    await Promise.race([answer, sleep(30_000, undefined, { ref: false })]);
    held = false;
  });
  await lockHeld;
  const res = await projectClient(app, a.projectId, a.key).get('/threads/');
  t.ok(held, 'answered while the lock was still held');
  answered();
  t.equal(res.statusCode, 503);
  t.match(res.json(), errorShape(503, 'DATABASE_TIMEOUT'));
  t.ok(Number(res.headers['retry-after']) > 0, 'with Retry-After');
  await release;
});

t.test(
  'request ids: kept when well-formed, generated otherwise, in every response and every log line of the request',
  async (t) => {
    const url = await testDatabase(t);
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        done();
      },
    });
    const db = createDb(url, { max: 2 });
    const app = await buildApp({
      config: loadConfig({ DATABASE_URL: url, LLM_LATENCY_MS: '0', LOG_LEVEL: 'info' }),
      db,
      logger: pino(sink),
    });
    t.teardown(async () => {
      await app.close();
      await closeDb(db);
    });
    const a = await projectWithKey(db);

    const given = await app.inject({
      url: `/query/v1/projects/${a.projectId}/threads/`,
      headers: { 'x-api-key': a.key, 'x-request-id': 'lb-42:abc.DEF_1-2' },
    });
    t.equal(given.headers['x-request-id'], 'lb-42:abc.DEF_1-2', 'a well-formed id is kept');
    for (const bad of ['x'.repeat(129), 'has space', 'émoji', '']) {
      const res = await app.inject({ url: '/health', headers: { 'x-request-id': bad } });
      t.match(res.headers['x-request-id'], /^[0-9a-f-]{36}$/, `replaced: ${JSON.stringify(bad.slice(0, 10))}`);
    }
    const errorRes = await app.inject({ url: '/nowhere', headers: { 'x-request-id': 'err-1' } });
    t.equal(errorRes.headers['x-request-id'], 'err-1', 'error responses carry it too');

    // A request that logs more than its access line: a key whose last use gets recorded, then a 404.
    const traced = await app.inject({
      url: `/query/v1/projects/${a.projectId}/threads/00000000-0000-4000-8000-000000000000/`,
      headers: { 'x-api-key': a.key, 'x-request-id': 'trace-me' },
    });
    t.equal(traced.statusCode, 404);
    const about = lines.filter(
      (l) =>
        JSON.stringify(l).includes('trace-me') ||
        l.url === `/query/v1/projects/${a.projectId}/threads/00000000-0000-4000-8000-000000000000/`,
    );
    t.ok(about.length >= 1, `${about.length} log line(s) about the request`);
    for (const line of about)
      t.equal(line.request_id, 'trace-me', `the log line "${String(line.msg)}" names the request`);
    t.notOk(
      lines.some((l) => JSON.stringify(l).includes(a.key)),
      'no log line carries the API key',
    );
  },
);

t.test("a worker's log lines about a job name the job", async (t) => {
  const ctx = await build(t);
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    new Writable({
      write: (chunk, _enc, done) => done(void lines.push(JSON.parse(String(chunk)) as Record<string, unknown>)),
    }),
  );
  const [job] = await ctx.db.execute<{ id: string }>(
    sql`select (graphile_worker.add_job('threads__classify', '{"thread_ids": "not a list"}'::json)).id`,
  );
  await drain(ctx, { log });
  const dropped = lines.find((l) => String(l.msg).includes('invalid payload'));
  t.ok(dropped, 'the task logged the invalid payload');
  t.match(
    dropped,
    { job: { id: job.id, task: 'threads__classify', attempt: 1 } },
    'naming the job, its task and attempt',
  );
});
