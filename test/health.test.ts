import t from 'tap';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { closeDb, createDb } from '../src/db/client.js';
import { build, drain } from './helper.js';
import { projectClient, projectWithKey } from './factories.js';

t.test('health and readiness', async (t) => {
  const { app } = await build(t);
  const health = await app.inject('/health');
  t.equal(health.statusCode, 200);
  t.same(health.json(), { status: 'ok' });
  const ready = await app.inject('/ready/');
  t.equal(ready.statusCode, 200);
  t.same(ready.json(), { status: 'ready' });
});

t.test('ready answers 503 when the database is unreachable', async (t) => {
  // Nothing listens on port 1: the connection is refused at once.
  const url = 'postgres://nobody:nothing@127.0.0.1:1/none';
  const db = createDb(url, { max: 1 });
  const app = await buildApp({ config: loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'silent' }), db });
  t.teardown(async () => {
    await app.close();
    await closeDb(db);
  });
  const res = await app.inject('/ready');
  t.equal(res.statusCode, 503);
  t.match(res.json(), {
    statusCode: 503,
    error: 'Service Unavailable',
    message: 'database unavailable',
    code: 'DATABASE_UNAVAILABLE',
  });
  t.equal(res.headers['retry-after'], '5');
  t.equal((await app.inject('/health')).statusCode, 200, 'the process itself is still up');
});

t.test('unknown routes answer the one error shape', async (t) => {
  const { app } = await build(t);
  const res = await app.inject('/no/such/route');
  t.equal(res.statusCode, 404);
  t.same(res.json(), {
    statusCode: 404,
    error: 'Not Found',
    message: 'route GET /no/such/route not found',
    code: 'ROUTE_NOT_FOUND',
  });
});

t.test('metrics: request latency, classification backlog and lag, classifier latency, jobs', async (t) => {
  const ctx = await build(t);
  const a = await projectWithKey(ctx.db);
  const api = projectClient(ctx.app, a.projectId, a.key);
  await api.chat('What are the system requirements?');
  await api.chat('How do I configure the CLI?');
  let res = await ctx.app.inject('/metrics');
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /text\/plain/);
  t.match(
    res.body,
    /http_request_duration_seconds_count\{method="POST",route="\/query\/v1\/projects\/:project_id\/chat",status="200"\} 2/,
  );
  t.match(res.body, /classification_backlog_threads\{state="waiting"\} 2/);

  await drain(ctx);
  res = await ctx.app.inject('/metrics');
  t.match(res.body, /classifier_call_duration_seconds_count\{lane="live"\} [1-9]/);
  t.match(res.body, /classification_lag_seconds_count\{lane="live"\} [1-9]/);
  t.match(res.body, /threads_labelled_total\{lane="live"\} [1-9]/);
});
