// The back office: every admin resource listed (across teams, searched, paged), read, changed and deleted;
// a deleted project's data removed by its purge job, in batches, while other projects are served.
import type { Static } from '@sinclair/typebox';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { Logger, runOnce } from 'graphile-worker';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { closeDb, createDb, rows, type Db } from '../src/db/client.js';
import { claimDueThreads } from '../src/db/queries/backfill.js';
import { addPurgeStep } from '../src/jobs/specs.js';
import { purgeThreadBatch } from '../src/db/queries/purge.js';
import { seedThreads } from '../src/db/queries/seed.js';
import { compactThreadCounts } from '../src/db/queries/thread-counts.js';
import { ADMIN_TOKEN, build, drain, rescheduleJobs, waitFor, withJobPool } from './helper.js';
import { projectClient, projectWithKey } from './factories.js';
import type { ApiKey, NewApiKeyResponse, Project, Team, User } from '../src/schemas/admin.js';
import type { ErrorSchema } from '../src/schemas/common.js';
import type { Thread } from '../src/schemas/threads.js';

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

type TeamJson = Static<typeof Team>;
type UserJson = Static<typeof User>;
type ProjectJson = Static<typeof Project>;
type ApiKeyJson = Static<typeof ApiKey>;
type NewKeyJson = Static<typeof NewApiKeyResponse>;
type ThreadJson = Static<typeof Thread>;
type ErrorJson = Static<typeof ErrorSchema>;
type Page<T> = { results: T[]; next: string | null };

function adminClient(app: FastifyInstance) {
  const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url: `/admin/v1${url}`, headers, ...(payload && { payload }) });
  return {
    get: (url: string) => call('GET', url),
    post: (url: string, payload: object) => call('POST', url, payload),
    patch: (url: string, payload: object) => call('PATCH', url, payload),
    delete: (url: string) => call('DELETE', url),
    /** Every page of a list, following `next` with the cursor alone. */
    async all(url: string) {
      const seen: { id: string }[] = [];
      let res = await call('GET', url);
      for (;;) {
        if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
        const page = res.json<Page<{ id: string }>>();
        seen.push(...page.results);
        if (!page.next) return seen;
        res = await call('GET', `${url.split('?')[0]}?cursor=${encodeURIComponent(page.next)}`);
      }
    },
  };
}

const ids = (list: { id: string }[]) => list.map((x) => x.id);

t.test(
  'teams: read, rename, search regardless of case with % and _ taken literally, page with the cursor alone',
  async (t) => {
    const { app } = await build(t);
    const admin = adminClient(app);
    const names = ['Acme', 'acme labs', '100% Tea', 'Under_score', 'Globex', 'Initech'];
    const teams: Record<string, string> = {};
    for (const name of names) teams[name] = (await admin.post('/teams', { name })).json<TeamJson>().id;

    const one = await admin.get(`/teams/${teams.Acme}`);
    t.equal(one.statusCode, 200);
    t.match(one.json<TeamJson>(), { id: teams.Acme, name: 'Acme', created_at: String });
    t.equal((await admin.get(`/teams/${UNKNOWN}`)).statusCode, 404);
    t.equal((await admin.get('/teams/not-a-uuid')).statusCode, 400);

    const renamed = await admin.patch(`/teams/${teams.Globex}`, { name: 'Globex Corporation' });
    t.equal(renamed.statusCode, 200);
    t.equal(renamed.json<TeamJson>().name, 'Globex Corporation');
    t.equal(
      (await admin.get(`/teams/${teams.Globex}`)).json<TeamJson>().name,
      'Globex Corporation',
      'the rename is stored',
    );
    t.equal((await admin.patch(`/teams/${UNKNOWN}`, { name: 'x' })).statusCode, 404);
    t.equal((await admin.patch(`/teams/${teams.Acme}`, { name: '  ' })).statusCode, 400);

    const search = async (q: string) =>
      (await admin.get(`/teams?q=${encodeURIComponent(q)}`)).json<Page<TeamJson>>().results.map((x) => x.name);
    t.same(await search('ACME'), ['Acme', 'acme labs'], 'case does not matter');
    t.same(await search('%'), ['100% Tea'], '% matches itself only');
    t.same(await search('_'), ['Under_score'], '_ matches itself only');
    t.same(await search('corp'), ['Globex Corporation']);
    t.same(await search('nothing like it'), []);

    const everyTeam = Object.values(teams);
    t.same(ids(await admin.all('/teams?limit=2')), everyTeam, 'pages of 2, oldest first, nothing skipped or repeated');
    const first = (await admin.get('/teams?limit=1&q=a')).json<Page<TeamJson>>();
    t.equal(first.results.length, 1);
    const withA = ids((await admin.get('/teams?q=a&limit=100')).json<Page<TeamJson>>().results);
    t.same(withA, [teams.Acme, teams['acme labs'], teams['100% Tea'], teams.Globex]);
    t.same(ids(await admin.all('/teams?limit=1&q=a')), withA, 'the cursor carries the search');
    t.ok(first.next, 'a cursor to the next page');
    const mixed = await admin.get(`/teams?q=zzz&cursor=${encodeURIComponent(first.next ?? '')}`);
    t.equal(mixed.statusCode, 400, 'a cursor with another search is refused');
    t.equal(mixed.json<ErrorJson>().code, 'INVALID_CURSOR');
    t.equal((await admin.get('/teams?limit=0')).statusCode, 400);
    t.equal((await admin.get('/teams?limit=101')).statusCode, 400);
  },
);

t.test(
  'users: read, change the email (unique regardless of case), delete, list across teams by team and search',
  async (t) => {
    const { app } = await build(t);
    const admin = adminClient(app);
    const acme = (await admin.post('/teams', { name: 'Acme' })).json<TeamJson>().id;
    const globex = (await admin.post('/teams', { name: 'Globex' })).json<TeamJson>().id;
    const ada = (
      await admin.post(`/teams/${acme}/users`, { email: 'ada@acme.test', first_name: 'Ada', last_name: 'Lovelace' })
    ).json<UserJson>();
    const bob = (
      await admin.post(`/teams/${acme}/users`, { email: 'bob@acme.test', first_name: 'Bob' })
    ).json<UserJson>();
    const gil = (await admin.post(`/teams/${globex}/users`, { email: 'gil_100%@globex.test' })).json<UserJson>();
    t.equal((await admin.post(`/teams/${UNKNOWN}/users`, { email: 'z@y.test' })).statusCode, 404);

    t.match((await admin.get(`/users/${ada.id}`)).json<UserJson>(), {
      id: ada.id,
      team: acme,
      email: 'ada@acme.test',
      first_name: 'Ada',
    });
    t.equal((await admin.get(`/users/${UNKNOWN}`)).statusCode, 404);

    const changed = await admin.patch(`/users/${bob.id}`, { email: 'Robert@Acme.test', first_name: 'Robert' });
    t.equal(changed.statusCode, 200);
    t.match(changed.json<UserJson>(), { email: 'Robert@Acme.test', first_name: 'Robert' });
    const taken = await admin.patch(`/users/${bob.id}`, { email: 'ADA@acme.test' });
    t.equal(taken.statusCode, 409, 'an email taken regardless of case');
    t.equal(taken.json<ErrorJson>().error, 'Conflict');
    t.equal(
      (await admin.patch(`/users/${bob.id}`, { email: 'robert@acme.test' })).statusCode,
      200,
      'its own email in another case is fine',
    );
    t.equal((await admin.patch(`/users/${bob.id}`, { email: 'not an email' })).statusCode, 400);
    t.equal((await admin.patch(`/users/${UNKNOWN}`, { first_name: 'x' })).statusCode, 404);

    t.same(
      ids(await admin.all('/users?limit=1')),
      [ada.id, bob.id, gil.id],
      'every team, oldest first, a page at a time',
    );
    t.same(ids((await admin.get(`/users?team_id=${globex}`)).json<Page<UserJson>>().results), [gil.id]);
    t.same(
      ids((await admin.get('/users?q=LOVELACE')).json<Page<UserJson>>().results),
      [ada.id],
      'by last name, regardless of case',
    );
    t.same(ids((await admin.get('/users?q=ada lovelace')).json<Page<UserJson>>().results), [ada.id], 'by full name');
    t.same(ids((await admin.get('/users?q=robert@')).json<Page<UserJson>>().results), [bob.id], 'by email');
    t.same(
      ids((await admin.get(`/users?q=${encodeURIComponent('_100%')}`)).json<Page<UserJson>>().results),
      [gil.id],
      '% and _ literally',
    );
    t.same(ids((await admin.get(`/users?team_id=${acme}&q=ACME.TEST&limit=1`)).json<Page<UserJson>>().results), [
      ada.id,
    ]);
    t.same(
      ids(await admin.all(`/users?team_id=${acme}&q=acme.test&limit=1`)),
      [ada.id, bob.id],
      'the cursor carries team and search',
    );
    t.equal(
      (await admin.get(`/users?team_id=${UNKNOWN}`)).statusCode,
      404,
      'an unknown team is a 404, not an empty list',
    );
    t.equal((await admin.get(`/teams/${UNKNOWN}/users`)).statusCode, 404, 'the per-team list says the same');

    t.equal((await admin.delete(`/users/${bob.id}`)).statusCode, 204);
    t.equal((await admin.get(`/users/${bob.id}`)).statusCode, 404);
    t.equal((await admin.delete(`/users/${bob.id}`)).statusCode, 404);
    t.same(ids((await admin.get(`/teams/${acme}/users`)).json<Page<UserJson>>().results), [ada.id]);
  },
);

t.test('projects and keys: read, rename, list across teams by team and search; unknown ids are 404', async (t) => {
  const { app } = await build(t);
  const admin = adminClient(app);
  const acme = (await admin.post('/teams', { name: 'Acme' })).json<TeamJson>().id;
  const globex = (await admin.post('/teams', { name: 'Globex' })).json<TeamJson>().id;
  const docs = (
    await admin.post(`/teams/${acme}/projects`, { project_name: 'Docs bot', product_name: 'Acme CLI' })
  ).json<ProjectJson>();
  const help = (
    await admin.post(`/teams/${acme}/projects`, { project_name: 'Help desk', product_name: 'Acme Cloud' })
  ).json<ProjectJson>();
  const api = (
    await admin.post(`/teams/${globex}/projects`, { project_name: 'API bot', product_name: 'Globex API' })
  ).json<ProjectJson>();

  t.match((await admin.get(`/projects/${docs.id}`)).json<ProjectJson>(), {
    id: docs.id,
    team: acme,
    project_name: 'Docs bot',
    product_name: 'Acme CLI',
  });
  t.equal((await admin.get(`/projects/${UNKNOWN}`)).statusCode, 404);
  const renamed = await admin.patch(`/projects/${docs.id}`, { product_name: 'Acme CLI 2' });
  t.equal(renamed.statusCode, 200);
  t.match(
    renamed.json<ProjectJson>(),
    { project_name: 'Docs bot', product_name: 'Acme CLI 2' },
    'only the field given changes',
  );
  t.match((await admin.patch(`/projects/${docs.id}`, { project_name: 'Docs assistant' })).json<ProjectJson>(), {
    project_name: 'Docs assistant',
    product_name: 'Acme CLI 2',
  });
  t.equal((await admin.patch(`/projects/${UNKNOWN}`, { project_name: 'x' })).statusCode, 404);
  t.equal((await admin.patch(`/projects/${docs.id}`, { project_name: '' })).statusCode, 400);

  t.same(ids(await admin.all('/projects?limit=2')), [docs.id, help.id, api.id]);
  t.same(ids((await admin.get(`/projects?team_id=${globex}`)).json<Page<ProjectJson>>().results), [api.id]);
  t.same(
    ids((await admin.get('/projects?q=ASSISTANT')).json<Page<ProjectJson>>().results),
    [docs.id],
    'by project name',
  );
  t.same(ids((await admin.get('/projects?q=cloud')).json<Page<ProjectJson>>().results), [help.id], 'by product name');
  t.same(ids(await admin.all(`/projects?team_id=${acme}&q=acme&limit=1`)), [docs.id, help.id]);
  t.equal((await admin.get(`/projects?team_id=${UNKNOWN}`)).statusCode, 404);
  t.equal((await admin.get(`/teams/${UNKNOWN}/projects`)).statusCode, 404);
  t.equal((await admin.post(`/teams/${UNKNOWN}/projects`, { project_name: 'x', product_name: 'y' })).statusCode, 404);

  const key = (await admin.post(`/projects/${help.id}/api-keys`, { name: 'staging' })).json<NewKeyJson>();
  const renamedKey = await admin.patch(`/api-keys/${key.id}`, { name: 'production' });
  t.equal(renamedKey.statusCode, 200);
  t.match(renamedKey.json<ApiKeyJson>(), { id: key.id, name: 'production', prefix: key.prefix, revoked_at: null });
  t.notOk('key' in renamedKey.json<ApiKeyJson>(), 'never the secret');
  t.equal((await admin.get(`/projects/${help.id}/api-keys`)).json<Page<ApiKeyJson>>().results[0].name, 'production');
  t.equal((await projectClient(app, help.id, key.key).get('/threads/')).statusCode, 200, 'a renamed key still works');
  t.equal((await admin.patch(`/api-keys/${UNKNOWN}`, { name: 'x' })).statusCode, 404);
  t.equal((await admin.post(`/projects/${UNKNOWN}/api-keys`, { name: 'x' })).statusCode, 404);
  t.equal(
    (await admin.get(`/projects/${UNKNOWN}/api-keys`)).statusCode,
    404,
    'an unknown project is a 404, not an empty list',
  );
});

/** Rows of the project in every table that has a project_id column (whatever migrations added), by table. */
async function rowsOf(db: Db, projectId: string): Promise<Record<string, number>> {
  const tables = await rows<{ table_name: string }>(
    db,
    sql`
    select table_name from information_schema.columns
    where table_schema = 'public' and column_name = 'project_id' order by table_name`,
  );
  const counts: Record<string, number> = {};
  for (const { table_name } of tables) {
    const [r] = await rows<{ n: number }>(
      db,
      sql`select count(*)::int as n from ${sql.identifier(table_name)} where project_id = ${projectId}`,
    );
    counts[table_name] = r.n;
  }
  const [p] = await rows<{ n: number }>(db, sql`select count(*)::int as n from projects where id = ${projectId}`);
  const [d] = await rows<{ n: number }>(
    db,
    sql`
    select count(*)::int as n from webhook_deliveries d where d.thread ->> 'project_id' = ${projectId}`,
  );
  return { ...counts, projects: p.n, webhook_deliveries: d.n };
}

/**
 * The jobs left in the queue with their payloads, read through graphile-worker's public API (its jobs view
 * has no payloads): every job left is made due now with its attempts reset, then run by tasks that only
 * record what they were given. It empties the queue, so it is a test's last look.
 */
async function leftoverJobs(ctx: { url: string; db: Db }): Promise<{ task: string; payload: unknown }[]> {
  const queued = await rows<{ id: string; task_identifier: string }>(
    ctx.db,
    sql`select id::text, task_identifier from graphile_worker.jobs`,
  );
  if (queued.length === 0) return [];
  await rescheduleJobs(
    ctx.url,
    queued.map((j) => j.id),
    { runAt: new Date(), attempts: 0 },
  );
  const seen: { task: string; payload: unknown }[] = [];
  const record = (task: string) => (payload: unknown) => void seen.push({ task, payload });
  await withJobPool(ctx.url, (pgPool) =>
    runOnce({
      pgPool,
      logger: new Logger(() => () => {}),
      taskList: Object.fromEntries(queued.map((j) => [j.task_identifier, record(j.task_identifier)])),
    }),
  );
  if (seen.length !== queued.length) throw new Error(`${queued.length} jobs left, ${seen.length} of them run`);
  return seen;
}

/** The jobs left whose payload names the project. */
const jobsAbout = (jobs: { payload: unknown }[], projectId: string) =>
  jobs.filter((j) => JSON.stringify(j.payload).includes(projectId));

/** A project with data in every table: threads with follow-ups and feedback, a category, counts, a webhook and its deliveries, a relabel run, a backfill batch. */
async function populate(t: Test, ctx: Awaited<ReturnType<typeof build>>, name: string) {
  const p = await projectWithKey(ctx.db, name);
  const api = projectClient(ctx.app, p.projectId, p.key);
  await rows(
    ctx.db,
    sql`insert into webhooks (project_id, url, events, secret) values
    (${p.projectId}, 'http://127.0.0.1:9/hook', array['thread.created']::webhook_event[], 'whsec_x')`,
  );
  t.equal((await api.post('/categories/', { name: 'Billing', description: 'money' })).statusCode, 201);
  const first = await api.chat('How do I pay?');
  await api.chat('And by card?', first.thread_id);
  await api.chat('Where are the logs?');
  t.equal(
    (await api.post(`/question-answers/${first.question_answer_id}/feedback`, { reaction: 'upvote', comment: 'ok' }))
      .statusCode,
    200,
  );
  await seedThreads(ctx.db, { projectId: p.projectId, count: 20 });
  await rows(
    ctx.db,
    sql`insert into relabel_runs (project_id, status, total, done) values (${p.projectId}, 'done', 0, 0)`,
  );
  await rows(
    ctx.db,
    sql`insert into classification_minutes (project_id, minute, labelled) values (${p.projectId}, date_trunc('minute', now()), 3)`,
  );
  await rows(
    ctx.db,
    sql`insert into classification_batches (project_id, thread_ids, claimed_until)
    select ${p.projectId}, array_agg(id), now() + interval '1 hour' from (select id from threads where project_id = ${p.projectId} limit 2) t`,
  );
  return { ...p, api };
}

t.test(
  'deleting a project: its key is refused and the admin API says 404 at once; the purge then leaves no row, and other projects keep theirs',
  async (t) => {
    // No classification: its label counts, flushed on a timer, would change the other project's rows meanwhile.
    const ctx = await build(t, { env: { CATEGORISATION: 'off' } });
    const admin = adminClient(ctx.app);
    const doomed = await populate(t, ctx, 'doomed');
    const kept = await populate(t, ctx, 'kept');
    await drain(ctx); // the webhook deliveries: sent (and failed)
    while ((await compactThreadCounts(ctx.db, 1000)) > 0);
    const before = await rowsOf(ctx.db, doomed.projectId);
    for (const table of [
      'threads',
      'question_answers',
      'feedback',
      'categories',
      'thread_counts',
      'webhooks',
      'relabel_runs',
      'classification_minutes',
      'classification_batches',
      'api_keys',
      'webhook_deliveries',
    ]) {
      t.ok(before[table] > 0, `the project has rows in ${table}`);
    }
    const keptBefore = await rowsOf(ctx.db, kept.projectId);

    const res = await admin.delete(`/projects/${doomed.projectId}`);
    t.equal(res.statusCode, 204);
    t.equal((await doomed.api.get('/threads/')).statusCode, 401, 'its key is refused at once');
    t.equal((await doomed.api.post('/chat', { question: 'still there?' })).statusCode, 401);
    t.equal(
      (await projectClient(ctx.app, doomed.projectId, kept.key).get('/threads/')).statusCode,
      403,
      "another project's key: 403, as before",
    );
    for (const [method, url] of [
      ['GET', `/projects/${doomed.projectId}`],
      ['PATCH', `/projects/${doomed.projectId}`],
      ['DELETE', `/projects/${doomed.projectId}`],
      ['GET', `/projects/${doomed.projectId}/api-keys`],
      ['POST', `/projects/${doomed.projectId}/api-keys`],
    ] as const) {
      const r =
        method === 'GET'
          ? await admin.get(url)
          : method === 'DELETE'
            ? await admin.delete(url)
            : method === 'PATCH'
              ? await admin.patch(url, { project_name: 'x' })
              : await admin.post(url, { name: 'x' });
      t.equal(r.statusCode, 404, `${method} ${url.replace(doomed.projectId, '{id}')}: 404 at once`);
    }
    t.notOk(ids(await admin.all('/projects')).includes(doomed.projectId), 'not listed');
    t.same(
      ids((await admin.get(`/teams/${doomed.team.id}/projects`)).json<Page<ProjectJson>>().results),
      [],
      "not in its team's list",
    );
    const waiting = await rowsOf(ctx.db, doomed.projectId);
    t.equal(waiting.api_keys, 0, 'keys deleted in the request');
    t.equal(waiting.webhooks, 0, 'webhooks deleted in the request');
    t.ok(waiting.threads > 0, 'the data is left to the job');

    await drain(ctx);
    const after = await rowsOf(ctx.db, doomed.projectId);
    t.same(
      Object.entries(after).filter(([, n]) => n > 0),
      [],
      'no row of the project in any table',
    );
    t.same(await rowsOf(ctx.db, kept.projectId), keptBefore, "the other project's rows are all there");
    t.match((await admin.get(`/teams/${doomed.team.id}`)).json<TeamJson>(), { id: doomed.team.id }, 'its team stays');
    t.equal((await kept.api.get('/threads/?limit=100')).json<Page<ThreadJson>>().results.length, 22);
    const left = await leftoverJobs(ctx);
    t.same(jobsAbout(left, doomed.projectId), [], 'no job about it');
    t.same(jobsAbout(left, kept.projectId), [], 'nor about the other project: it had none waiting before');
  },
);

t.test(
  'deleting a team: 409 while it has projects, then cascade; its row goes with its last project purged',
  async (t) => {
    const ctx = await build(t);
    const admin = adminClient(ctx.app);
    const a = await projectWithKey(ctx.db, 'Acme');
    const second = (
      await admin.post(`/teams/${a.team.id}/projects`, { project_name: 'Second', product_name: 'x' })
    ).json<ProjectJson>();
    const user = (await admin.post(`/teams/${a.team.id}/users`, { email: 'ada@acme.test' })).json<UserJson>();
    const api = projectClient(ctx.app, a.projectId, a.key);
    await api.chat('How do I start?');

    const refused = await admin.delete(`/teams/${a.team.id}`);
    t.equal(refused.statusCode, 409);
    t.match(refused.json<ErrorJson>().message, /2 projects.*cascade=true/);
    t.equal((await admin.get(`/teams/${a.team.id}`)).statusCode, 200, 'nothing deleted');
    t.equal((await api.get('/threads/')).statusCode, 200);
    t.equal((await admin.delete(`/teams/${UNKNOWN}?cascade=true`)).statusCode, 404);

    t.equal((await admin.delete(`/teams/${a.team.id}?cascade=true`)).statusCode, 204);
    t.equal((await api.get('/threads/')).statusCode, 401, "its projects' keys are refused at once");
    for (const url of [
      `/teams/${a.team.id}`,
      `/teams/${a.team.id}/users`,
      `/teams/${a.team.id}/projects`,
      `/projects/${a.projectId}`,
      `/projects/${second.id}`,
      `/users/${user.id}`,
      `/users?team_id=${a.team.id}`,
      `/projects?team_id=${a.team.id}`,
    ]) {
      t.equal((await admin.get(url)).statusCode, 404, `GET ${url}: 404 at once`);
    }
    t.equal(
      (await admin.post(`/teams/${a.team.id}/projects`, { project_name: 'x', product_name: 'y' })).statusCode,
      404,
      'no new project in it',
    );
    t.equal(
      (await admin.post(`/teams/${a.team.id}/users`, { email: 'late@acme.test' })).statusCode,
      404,
      'no new user in it',
    );
    t.equal((await admin.patch(`/teams/${a.team.id}`, { name: 'x' })).statusCode, 404);
    t.equal((await admin.delete(`/teams/${a.team.id}?cascade=true`)).statusCode, 404);
    t.notOk(ids(await admin.all('/teams')).includes(a.team.id), 'not listed');
    const teamRow = async () =>
      (await rows<{ n: number }>(ctx.db, sql`select count(*)::int as n from teams where id = ${a.team.id}`))[0].n;
    t.equal(await teamRow(), 1, 'the row waits for the purge of its projects');

    await drain(ctx);
    t.equal(await teamRow(), 0, 'gone with its last project');
    t.same((await rows(ctx.db, sql`select id from projects where team_id = ${a.team.id}`)).length, 0);

    const empty = (await admin.post('/teams', { name: 'Empty' })).json<TeamJson>();
    t.equal((await admin.delete(`/teams/${empty.id}`)).statusCode, 204, 'a team without projects needs no cascade');
    t.equal(
      (await rows(ctx.db, sql`select id from teams where id = ${empty.id}`)).length,
      0,
      'and its row goes at once',
    );
  },
);

t.test('the purge is idempotent and resumable; it never touches a live project', async (t) => {
  const ctx = await build(t);
  const admin = adminClient(ctx.app);
  const a = await projectWithKey(ctx.db, 'a');
  const b = await projectWithKey(ctx.db, 'b');
  await seedThreads(ctx.db, { projectId: a.projectId, count: 300 });
  await seedThreads(ctx.db, { projectId: b.projectId, count: 30 });
  t.equal((await admin.delete(`/projects/${a.projectId}`)).statusCode, 204);

  // A worker killed mid-purge: a batch committed, then the job runs again from where that step stopped,
  // and continues.
  const partial = await purgeThreadBatch(ctx.db, { projectId: a.projectId, limit: 100 });
  t.equal(partial.threads, 100);
  await addPurgeStep(ctx.db, a.projectId, partial.last);
  // A purge job for a live project (a stray, a mistake) does nothing.
  await addPurgeStep(ctx.db, b.projectId, null);
  await drain(ctx);
  t.same(
    Object.entries(await rowsOf(ctx.db, a.projectId)).filter(([, n]) => n > 0),
    [],
    'purged',
  );
  t.same(jobsAbout(await leftoverJobs(ctx), a.projectId), [], 'no job about it left');
  t.equal((await rowsOf(ctx.db, b.projectId)).threads, 30, 'the live project keeps its threads');

  // Once more after the end: nothing to do, and no failure.
  type LogLine = { msg: string; status?: string };
  const lines: LogLine[] = [];
  await addPurgeStep(ctx.db, a.projectId, null);
  await drain(ctx, {
    log: pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) }),
  });
  t.ok(lines.some((l) => l.msg === 'project purge: nothing to do' && l.status === 'gone'));
  const left = await rows<{ task_identifier: string; last_error: string | null }>(
    ctx.db,
    sql`
    select task_identifier, last_error from graphile_worker.jobs
    where task_identifier = 'projects__purge' or last_error is not null`,
  );
  t.same(left, [], 'no purge job left, none failing');
});

t.test('100,000 threads are purged in many short batches, and other projects are answered meanwhile', async (t) => {
  const ctx = await build(t);
  const admin = adminClient(ctx.app);
  const big = await projectWithKey(ctx.db, 'big');
  const other = await projectWithKey(ctx.db, 'other');
  const api = projectClient(ctx.app, other.projectId, other.key);
  // Seeded on a connection of its own: one statement longer than the API's statement timeout.
  const seeder = createDb(ctx.url, { max: 1 });
  t.teardown(() => closeDb(seeder));
  await seedThreads(seeder, { projectId: big.projectId, count: 100_000 });
  await seedThreads(ctx.db, { projectId: other.projectId, count: 100 });
  t.equal((await admin.delete(`/projects/${big.projectId}`)).statusCode, 204);

  // What happened, in order: purge batches, job steps, chats answered.
  const events: string[] = [];
  const log = pino(
    { level: 'debug' },
    {
      write: (line: string) => {
        const { msg } = JSON.parse(line) as { msg: string };
        if (msg === 'project purge: batch deleted') events.push('batch');
        else if (msg === 'project purge: step done, the next one queued') events.push('step');
        else if (msg === 'project purged') events.push('purged');
      },
    },
  );
  let settled = false;
  const purging = drain(ctx, { log }).finally(() => (settled = true));
  const batchCount = () => events.filter((e) => e === 'batch').length;
  const done = () => events.includes('purged') || settled;
  const answered: number[] = [];
  await waitFor('the first purge batch', () => batchCount() > 0 || done());
  // A user's pace, not a flood: a chat, then the purge's next batch, until the purge is over.
  while (!done()) {
    const res = await api.post('/chat', { question: `How do I configure the proxy? (${answered.length})` });
    answered.push(res.statusCode);
    events.push('chat');
    const batchesSoFar = batchCount();
    await waitFor('the next purge batch', () => batchCount() > batchesSoFar || done(), { timeoutMs: 120_000 });
  }
  await purging;

  const batches = events.filter((e) => e === 'batch').length;
  t.ok(batches >= 20, `the threads went in ${batches} batches of at most 5,000`);
  t.ok(events.filter((e) => e === 'step').length >= 1, 'over more than one job');
  const lastBatch = events.lastIndexOf('batch');
  t.ok(
    events.slice(events.indexOf('batch'), lastBatch).includes('chat'),
    'a chat of another project was answered between two batches of the purge',
  );
  t.ok(answered.length > 0 && answered.every((s) => s === 200), `every chat answered (${answered.length})`);
  t.same(
    Object.entries(await rowsOf(ctx.db, big.projectId)).filter(([, n]) => n > 0),
    [],
    'nothing of the project left',
  );
  t.same(jobsAbout(await leftoverJobs(ctx), big.projectId), [], 'no job about it');
  t.equal(
    (await rowsOf(ctx.db, other.projectId)).threads,
    100 + answered.length,
    'the other project has all its threads',
  );
});

t.test(
  "a deleted project's unlabelled threads wait for the purge: the sweep spends no classifier call on them",
  async (t) => {
    const ctx = await build(t, { env: { CATEGORISATION: 'off' } });
    const gone = await projectWithKey(ctx.db);
    const kept = await projectWithKey(ctx.db);
    await seedThreads(ctx.db, { projectId: gone.projectId, count: 30 });
    await seedThreads(ctx.db, { projectId: kept.projectId, count: 20 });
    t.equal((await adminClient(ctx.app).delete(`/projects/${gone.projectId}`)).statusCode, 204);
    const claim = await claimDueThreads(ctx.db, { limit: 1000, batchSize: 50, timeoutSeconds: 60 });
    t.equal(claim.claimed, 20, "only the live project's threads are claimed for classification");
    t.equal(claim.parked, 30, "the deleted project's are parked");
  },
);
