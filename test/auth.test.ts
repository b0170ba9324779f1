import t from 'tap';
import { revokeApiKey } from '../src/db/queries/api-keys.js';
import { build, waitFor } from './helper.js';
import { projectClient, projectWithKey } from './factories.js';

t.test('API-key authentication on every project route', async (t) => {
  const { app, db } = await build(t);
  const a = await projectWithKey(db, 'A');
  const b = await projectWithKey(db, 'B');
  const revoked = await projectWithKey(db, 'R');
  await revokeApiKey(db, { keyId: revoked.keyId });
  const { thread_id } = await projectClient(app, a.projectId, a.key).chat('How do I install the CLI?');

  const routes = (projectId: string) => [
    { method: 'POST' as const, url: `/query/v1/projects/${projectId}/chat`, payload: { question: 'hello?' } },
    { method: 'GET' as const, url: `/query/v1/projects/${projectId}/threads/` },
    { method: 'GET' as const, url: `/query/v1/projects/${projectId}/threads` },
    { method: 'GET' as const, url: `/query/v1/projects/${projectId}/threads/${thread_id}/` },
  ];
  const unknownProject = '00000000-0000-4000-8000-000000000000';
  const cases = [
    { name: 'no key', headers: {}, project: a.projectId, status: 401 },
    { name: 'malformed key', headers: { 'x-api-key': 'not-a-key' }, project: a.projectId, status: 401 },
    {
      name: 'unknown key of the right shape',
      headers: { 'x-api-key': `dck_000000000000_${'A'.repeat(43)}` },
      project: a.projectId,
      status: 401,
    },
    {
      name: 'right prefix, wrong secret',
      headers: { 'x-api-key': a.key.slice(0, -3) + 'xyz' },
      project: a.projectId,
      status: 401,
    },
    { name: 'revoked key', headers: { 'x-api-key': revoked.key }, project: revoked.projectId, status: 401 },
    { name: "another project's key", headers: { 'x-api-key': b.key }, project: a.projectId, status: 403 },
    {
      name: 'valid key, project that does not exist',
      headers: { 'x-api-key': a.key },
      project: unknownProject,
      status: 403,
    },
    { name: 'valid key, project id that is not a UUID', headers: { 'x-api-key': a.key }, project: 'nope', status: 403 },
  ];
  for (const c of cases) {
    for (const route of routes(c.project)) {
      const res = await app.inject({ ...route, headers: c.headers });
      t.equal(res.statusCode, c.status, `${c.name}: ${route.method} ${route.url}`);
      t.match(res.json(), { statusCode: c.status, error: String, message: String });
    }
  }

  for (const route of routes(a.projectId)) {
    const res = await app.inject({ ...route, headers: { 'x-api-key': a.key } });
    t.equal(res.statusCode, 200, `own key works: ${route.method} ${route.url}`);
  }
});

t.test('a revoked key is refused from the next request on', async (t) => {
  const { app, db } = await build(t);
  const a = await projectWithKey(db);
  const api = projectClient(app, a.projectId, a.key);
  t.equal((await api.get('/threads/')).statusCode, 200);
  await revokeApiKey(db, { keyId: a.keyId });
  t.equal((await api.get('/threads/')).statusCode, 401);
});

t.test('key use is recorded in last_used_at', async (t) => {
  const { app, db } = await build(t);
  const a = await projectWithKey(db);
  await projectClient(app, a.projectId, a.key).get('/threads/');
  // The write is fire-and-forget: it lands after the response.
  const usedAt = await waitFor('the key use recorded in last_used_at', async () => {
    const [row] = await db.$client<{ last_used_at: string | null }[]>`
      select last_used_at from api_keys where id = ${a.keyId}`;
    return row.last_used_at;
  });
  t.type(usedAt, 'string', 'last_used_at is set');
});
