import t from 'tap';
import type { Static } from '@sinclair/typebox';
import { ADMIN_TOKEN, build, type ApiError, type Page } from './helper.js';
import { projectClient } from './factories.js';
import type { ApiKey, NewApiKeyResponse, Project, Team, User } from '../src/schemas/admin.js';

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

t.test('the admin API needs the bearer token, and is off without ADMIN_TOKEN', async (t) => {
  const { app } = await build(t);
  t.equal((await app.inject({ method: 'GET', url: '/admin/v1/teams' })).statusCode, 401);
  t.equal(
    (
      await app.inject({
        method: 'GET',
        url: '/admin/v1/teams',
        headers: { authorization: 'Bearer wrong-token-1234567' },
      })
    ).statusCode,
    401,
  );
  t.equal(
    (await app.inject({ method: 'GET', url: '/admin/v1/teams', headers: { authorization: ADMIN_TOKEN } })).statusCode,
    401,
  );
  t.equal((await app.inject({ method: 'GET', url: '/admin/v1/teams', headers: auth })).statusCode, 200);

  const off = await build(t, { env: { ADMIN_TOKEN: '' } });
  const res = await off.app.inject({ method: 'GET', url: '/admin/v1/teams', headers: auth });
  t.equal(res.statusCode, 403);
  t.match(res.json<ApiError>().message, /disabled/);
});

t.test('teams, users, projects and keys through the admin API', async (t) => {
  const { app } = await build(t);
  const post = (url: string, payload: object) =>
    app.inject({ method: 'POST', url: `/admin/v1${url}`, headers: auth, payload });
  const get = (url: string) => app.inject({ method: 'GET', url: `/admin/v1${url}`, headers: auth });

  const teamRes = await post('/teams', { name: 'Acme' });
  t.equal(teamRes.statusCode, 201);
  const team = teamRes.json<Static<typeof Team>>();
  t.match(team, { id: String, name: 'Acme', created_at: String });
  t.same(
    (await get('/teams')).json<Page<Static<typeof Team>>>().results.map((x) => x.id),
    [team.id],
  );
  t.equal((await post('/teams', { name: '   ' })).statusCode, 400);

  const userRes = await post(`/teams/${team.id}/users`, {
    email: 'Ada@Example.com',
    first_name: 'Ada',
    digest_interval: 'WEEKLY',
  });
  t.equal(userRes.statusCode, 201);
  const user = userRes.json<Static<typeof User>>();
  t.match(user, {
    team: team.id,
    email: 'Ada@Example.com',
    first_name: 'Ada',
    last_name: null,
    digest_interval: 'WEEKLY',
  });
  const dup = await post(`/teams/${team.id}/users`, { email: 'ada@example.COM' });
  t.equal(dup.statusCode, 409, 'email unique regardless of case');
  t.match(dup.json(), { statusCode: 409, error: 'Conflict' });
  t.equal((await post(`/teams/${team.id}/users`, { email: 'not-an-email' })).statusCode, 400);
  t.equal((await post(`/teams/${team.id}/users`, { email: 'x@y.io', digest_interval: 'DAILY' })).statusCode, 400);
  t.equal((await post('/teams/00000000-0000-4000-8000-000000000000/users', { email: 'z@y.io' })).statusCode, 404);
  const patched = await app.inject({
    method: 'PATCH',
    url: `/admin/v1/users/${user.id}`,
    headers: auth,
    payload: { digest_interval: null },
  });
  t.equal(patched.statusCode, 200);
  t.equal(patched.json<Static<typeof User>>().digest_interval, null);
  t.equal((await get(`/teams/${team.id}/users`)).json<Page<Static<typeof User>>>().results.length, 1);

  const projectRes = await post(`/teams/${team.id}/projects`, { project_name: 'Docs bot', product_name: 'Acme CLI' });
  t.equal(projectRes.statusCode, 201);
  const project = projectRes.json<Static<typeof Project>>();
  t.match(project, { id: String, team: team.id, project_name: 'Docs bot', product_name: 'Acme CLI' });
  t.equal(
    (await post('/teams/00000000-0000-4000-8000-000000000000/projects', { project_name: 'x', product_name: 'y' }))
      .statusCode,
    404,
  );
  t.equal((await get(`/teams/${team.id}/projects`)).json<Page<Static<typeof Project>>>().results.length, 1);
  t.equal((await get('/teams/00000000-0000-4000-8000-000000000000/projects')).statusCode, 404);

  const keyRes = await post(`/projects/${project.id}/api-keys`, { name: 'production' });
  t.equal(keyRes.statusCode, 201);
  const key = keyRes.json<Static<typeof NewApiKeyResponse>>();
  t.match(key, { id: String, name: 'production', project: project.id, prefix: /^dck_[0-9a-f]{12}$/, revoked_at: null });
  t.ok(key.key.startsWith(`${key.prefix}_`), 'the secret starts with its public prefix');
  t.equal((await post('/projects/00000000-0000-4000-8000-000000000000/api-keys', { name: 'x' })).statusCode, 404);

  const listed = (await get(`/projects/${project.id}/api-keys`)).json<Page<Static<typeof ApiKey>>>().results;
  t.equal(listed.length, 1);
  t.notOk('key' in listed[0], 'listings never show the secret');
  // The secret is what follows the prefix (it may itself hold a '_', so not the part after the last one).
  t.notMatch(JSON.stringify(listed), key.key.slice(key.prefix.length + 1), 'nor its secret part');

  const api = projectClient(app, project.id, key.key);
  t.equal((await api.get('/threads/')).statusCode, 200, 'the new key works');
  const revoke = await app.inject({ method: 'DELETE', url: `/admin/v1/api-keys/${key.id}`, headers: auth });
  t.equal(revoke.statusCode, 204);
  t.equal((await api.get('/threads/')).statusCode, 401, 'revoked at once');
  t.ok((await get(`/projects/${project.id}/api-keys`)).json<Page<Static<typeof ApiKey>>>().results[0].revoked_at);
  t.equal(
    (
      await app.inject({
        method: 'DELETE',
        url: '/admin/v1/api-keys/00000000-0000-4000-8000-000000000000',
        headers: auth,
      })
    ).statusCode,
    404,
  );
});
