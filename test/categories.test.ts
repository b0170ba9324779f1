import t from 'tap';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import type { Static } from '@sinclair/typebox';
import { build, waitFor, type ApiError } from './helper.js';
import { projectClient, projectWithKey } from './factories.js';
import type { Category as CategorySchema } from '../src/schemas/categories.js';

type Category = Static<typeof CategorySchema>;
type Categories = { results: Category[] };

t.test('a new project starts with Discovery and Troubleshooting', async (t) => {
  const { app, db } = await build(t);
  const a = await projectWithKey(db);
  const res = await projectClient(app, a.projectId, a.key).get('/categories/');
  t.equal(res.statusCode, 200);
  const list = res.json<Categories>().results;
  t.same(
    list.map((c) => c.name),
    ['Discovery', 'Troubleshooting'],
  );
  t.match(list[0].description, /trying to find out how to do something/);
  t.match(list[1].description, /needs help with a problem/);
  t.match(list[0], { id: /^[0-9a-f-]{36}$/, created_at: String, updated_at: String });
});

t.test('create, read, rename, re-describe and delete a category', async (t) => {
  const { app, db } = await build(t);
  const a = await projectWithKey(db);
  const api = projectClient(app, a.projectId, a.key);

  const created = await api.post('/categories/', { name: '  Careers  ', description: 'asking about open positions' });
  t.equal(created.statusCode, 201);
  const careers = created.json<Category>();
  t.match(careers, { name: 'Careers', description: 'asking about open positions' }, 'name is trimmed');
  t.same((await api.get(`/categories/${careers.id}`)).json(), careers);

  const renamed = await api.patch(`/categories/${careers.id}/`, { name: 'Jobs' });
  t.equal(renamed.statusCode, 200);
  t.match(renamed.json(), { id: careers.id, name: 'Jobs', description: 'asking about open positions' });
  t.ok(renamed.json<Category>().updated_at >= careers.updated_at);
  const described = await api.patch(`/categories/${careers.id}/`, { description: 'open positions and internships' });
  t.match(described.json(), { name: 'Jobs', description: 'open positions and internships' });
  t.equal(
    (await api.patch(`/categories/${careers.id}/`, { name: 'jobs' })).statusCode,
    200,
    'changing only the case of its own name is fine',
  );

  t.equal((await api.delete(`/categories/${careers.id}/`)).statusCode, 204);
  t.equal((await api.get(`/categories/${careers.id}/`)).statusCode, 404);
  t.equal((await api.delete(`/categories/${careers.id}/`)).statusCode, 404);
  t.same(
    (await api.get('/categories/')).json<Categories>().results.map((c) => c.name),
    ['Discovery', 'Troubleshooting'],
  );
});

t.test('category names and descriptions are validated', async (t) => {
  const { app, db } = await build(t);
  const a = await projectWithKey(db);
  const api = projectClient(app, a.projectId, a.key);

  const bad: [string, unknown][] = [
    ['missing name', {}],
    ['empty name', { name: '' }],
    ['blank name', { name: '   ' }],
    ['name of 101 characters', { name: 'x'.repeat(101) }],
    ['description over 1,000 characters', { name: 'Ok', description: 'd'.repeat(1001) }],
    ['name not a string', { name: 7 }],
    ['unknown field', { name: 'Ok', colour: 'red' }],
  ];
  for (const [what, body] of bad) {
    const res = await api.post('/categories/', body);
    t.equal(res.statusCode, 400, what);
    t.match(res.json(), { statusCode: 400, error: 'Bad Request', message: String });
  }
  t.equal(
    (await api.post('/categories/', { name: ` ${'y'.repeat(100)} `, description: 'd'.repeat(1000) })).statusCode,
    201,
    '100 characters after trimming',
  );

  const dup = await api.post('/categories/', { name: 'discovery' });
  t.equal(dup.statusCode, 409, 'unique regardless of case');
  t.match(dup.json(), { statusCode: 409, error: 'Conflict', message: /already exists/ });
  const troubleshooting = (await api.get('/categories/')).json<Categories>().results[1];
  t.equal(
    (await api.patch(`/categories/${troubleshooting.id}/`, { name: 'DISCOVERY' })).statusCode,
    409,
    'rename onto another name',
  );
  t.equal((await api.patch(`/categories/${troubleshooting.id}/`, { name: ' ' })).statusCode, 400);
  t.equal((await api.patch('/categories/00000000-0000-4000-8000-000000000000/', { name: 'x' })).statusCode, 404);
  t.equal((await api.get('/categories/not-a-uuid/')).statusCode, 400);
});

t.test('a project has at most 50 categories, even when created concurrently', async (t) => {
  // A connection for every request: with the helper's pool of 5, at most 5 creations would race.
  const attempts = 20;
  const { app, db, url } = await build(t, { env: { DATABASE_POOL_SIZE: String(attempts) } });
  const a = await projectWithKey(db);
  const api = projectClient(app, a.projectId, a.key);
  // 2 defaults + 46 = 48: two places left for the requests racing for them.
  await db.execute(
    sql`insert into categories (project_id, name) select ${a.projectId}, 'existing ' || i from generate_series(1, 46) i`,
  );

  // Another session holds the categories table until every creation waits at the database, so that all
  // go at once when it lets go: without the project-row lock, each would count 48 and insert.
  const other = postgres(url, { max: 1, onnotice: () => {} });
  t.teardown(() => other.end());
  await other`begin`;
  await other`lock table categories`;
  const requests = Promise.all(Array.from({ length: attempts }, (_, i) => api.post('/categories/', { name: `c${i}` })));
  const waiting = await waitFor(`all ${attempts} creations waiting for the lock`, async () => {
    // pg_stat_activity is read once per transaction unless told otherwise.
    await other`select pg_stat_clear_snapshot()`;
    const [{ waiting }] = await other<[{ waiting: number }]>`
      select count(*)::int as waiting from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`;
    return waiting >= attempts && waiting;
  });
  await other`commit`;
  const results = await requests;
  t.equal(waiting, attempts, 'every creation was at the database at once');
  t.equal(results.filter((r) => r.statusCode === 201).length, 2);
  const refused = results.filter((r) => r.statusCode !== 201);
  t.ok(refused.every((r) => r.statusCode === 409 && /at most 50/.test(r.json<ApiError>().message)));
  t.equal((await api.get('/categories/')).json<Categories>().results.length, 50);
});

t.test("another project's categories cannot be read, changed or deleted", async (t) => {
  const { app, db } = await build(t);
  const a = await projectWithKey(db, 'A');
  const b = await projectWithKey(db, 'B');
  const apiA = projectClient(app, a.projectId, a.key);
  const apiB = projectClient(app, b.projectId, b.key);
  const [discoveryA] = (await apiA.get('/categories/')).json<Categories>().results;

  t.equal((await apiB.get(`/categories/${discoveryA.id}/`)).statusCode, 404);
  t.equal((await apiB.patch(`/categories/${discoveryA.id}/`, { name: 'Hacked' })).statusCode, 404);
  t.equal((await apiB.delete(`/categories/${discoveryA.id}/`)).statusCode, 404);
  t.same((await apiA.get(`/categories/${discoveryA.id}/`)).json(), discoveryA, 'untouched');

  // And with B's key on A's URLs: 403 before anything else.
  const url = `/query/v1/projects/${a.projectId}/categories/`;
  t.equal((await app.inject({ method: 'GET', url, headers: { 'x-api-key': b.key } })).statusCode, 403);
  t.equal(
    (await app.inject({ method: 'POST', url, headers: { 'x-api-key': b.key }, payload: { name: 'x' } })).statusCode,
    403,
  );
  t.equal((await app.inject({ method: 'GET', url: `${url}stats`, headers: { 'x-api-key': b.key } })).statusCode, 403);
  t.equal((await app.inject({ method: 'GET', url, headers: {} })).statusCode, 401);
});
