import t from 'tap';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { closeDb, createDb } from '../src/db/client.js';
import { build } from './helper.js';

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
  const db = createDb(url, 1);
  const app = await buildApp({ config: loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'silent' }), db });
  t.teardown(async () => {
    await app.close();
    await closeDb(db);
  });
  const res = await app.inject('/ready');
  t.equal(res.statusCode, 503);
  t.match(res.json(), { statusCode: 503, error: 'Service Unavailable', message: 'database unreachable' });
  t.equal((await app.inject('/health')).statusCode, 200, 'the process itself is still up');
});

t.test('unknown routes answer the one error shape', async (t) => {
  const { app } = await build(t);
  const res = await app.inject('/no/such/route');
  t.equal(res.statusCode, 404);
  t.same(res.json(), { statusCode: 404, error: 'Not Found', message: 'route GET /no/such/route not found', code: 'ROUTE_NOT_FOUND' });
});
