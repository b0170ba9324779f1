// The back office's view of the work in the background: the job queue per task (waiting, scheduled, running,
// retrying, failed), the failed jobs with their last error, paged, and the crawls running with their pages.
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import t from 'tap';
import type { Static } from '@sinclair/typebox';
import { rows, type Db } from '../src/db/client.js';
import { CRAWL_TASK, FINISH_CRAWL_TASK } from '../src/jobs/specs.js';
import type { Classifier } from '../src/models/classifier.js';
import type { FailedJobsPage, JobQueue, RunningCrawls } from '../src/schemas/admin-work.js';
import { ADMIN_TOKEN, build, drain, waitFor, type ApiError } from './helper.js';
import { ControlledClassifier, projectClient, projectWithKey } from './factories.js';
import { docsSite, htmlPage } from './docs-site.js';

type Queue = Static<typeof JobQueue>['results'][number];
type Failed = Static<typeof FailedJobsPage>;
type Crawls = Static<typeof RunningCrawls>;

const admin = (app: FastifyInstance) => async (url: string) =>
  app.inject({ url: `/admin/v1${url}`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });

const queueOf = async (get: ReturnType<typeof admin>, task: string): Promise<Queue | undefined> =>
  (await get('/jobs')).json<Static<typeof JobQueue>>().results.find((q) => q.task === task);

/** A classification job for one thread, due now, failing for good at its first failure. */
const classifyOnce = (db: Db, projectId: string, threadId: string) =>
  rows(
    db,
    sql`select graphile_worker.add_job('threads__classify',
          json_build_object('project_id', ${projectId}::uuid, 'thread_ids', json_build_array(${threadId}::uuid)),
          max_attempts => 1)`,
  );

t.test('the queue per task: waiting, scheduled, running, retrying and failed, from real jobs', async (t) => {
  const ctx = await build(t);
  const get = admin(ctx.app);
  const a = await projectWithKey(ctx.db);
  const api = projectClient(ctx.app, a.projectId, a.key);

  const empty = (await get('/jobs')).json<Static<typeof JobQueue>>().results;
  t.match(
    empty.find((q) => q.task === 'sources__crawl'),
    { waiting: 0, scheduled: 0, running: 0, retrying: 0, failed: 0, oldest_waiting_since: null },
    'a task with no job is listed with zeros',
  );

  const first = await api.chat('How do I install the CLI?');
  await classifyOnce(ctx.db, a.projectId, first.thread_id);
  await rows(
    ctx.db,
    sql`select graphile_worker.add_job('reports__fan_out', '{}', run_at => now() + interval '1 hour')`,
  );
  t.match(await queueOf(get, 'threads__classify'), { waiting: 2, scheduled: 0, running: 0, failed: 0 });
  t.ok((await queueOf(get, 'threads__classify'))?.oldest_waiting_since, 'the oldest waiting job has a time');
  t.match(await queueOf(get, 'reports__fan_out'), { waiting: 0, scheduled: 1 }, 'due later: scheduled');

  // Running: a worker holds the two jobs in flight (its classifier waits).
  const held = new ControlledClassifier();
  const entered = held.hold();
  const worker = drain(ctx, { only: (task) => task === 'threads__classify', classifier: held });
  await entered;
  await waitFor('both jobs locked', async () => (await queueOf(get, 'threads__classify'))?.running === 2, {
    timeoutMs: 20_000,
  });
  t.match(await queueOf(get, 'threads__classify'), { waiting: 0, running: 2 });
  held.release();
  await worker;
  t.match(await queueOf(get, 'threads__classify'), { waiting: 0, running: 0, failed: 0 }, 'done: gone from the queue');

  // Failing for real: the model provider is down. The job with one attempt fails for good; the chat's own
  // job (several attempts) waits for its retry.
  const down: Classifier = {
    classify: () => Promise.reject(new Error('model provider unreachable: ECONNREFUSED')),
  };
  const second = await api.chat('Why does my build fail?');
  await classifyOnce(ctx.db, a.projectId, second.thread_id);
  await drain(ctx, { classifier: down });
  t.match(await queueOf(get, 'threads__classify'), { waiting: 0, scheduled: 1, retrying: 1, running: 0, failed: 1 });

  const failed = (await get('/jobs/failed')).json<Failed>();
  t.equal(failed.results.length, 1);
  t.match(failed.results[0], {
    id: /^\d+$/,
    task: 'threads__classify',
    attempts: 1,
    max_attempts: 1,
    last_error: /model provider unreachable: ECONNREFUSED/,
    project: a.projectId,
  });
  t.equal(failed.next, null);
});

t.test('failed jobs page newest first; the cursor carries the task filter', async (t) => {
  const ctx = await build(t);
  const get = admin(ctx.app);
  const a = await projectWithKey(ctx.db);
  const api = projectClient(ctx.app, a.projectId, a.key);
  for (let i = 0; i < 3; i++) await classifyOnce(ctx.db, a.projectId, (await api.chat(`Question ${i}?`)).thread_id);
  await drain(ctx, { classifier: { classify: () => Promise.reject(new Error('quota exceeded')) } });

  const first = (await get('/jobs/failed?limit=2')).json<Failed>();
  t.equal(first.results.length, 2);
  t.ok(first.next);
  const second = (await get(`/jobs/failed?cursor=${first.next}`)).json<Failed>();
  t.equal(second.results.length, 1, 'the cursor alone continues the list');
  t.equal(second.next, null);
  const ids = [...first.results, ...second.results].map((j) => BigInt(j.id));
  t.same(
    ids,
    [...ids].sort((x, y) => (x > y ? -1 : 1)),
    'newest first',
  );
  t.equal(new Set(ids).size, 3, 'each failed job once');

  t.same((await get('/jobs/failed?task=reports__send')).json<Failed>().results, [], 'another task: none');
  const byTask = (await get('/jobs/failed?task=threads__classify&limit=1')).json<Failed>();
  t.equal(byTask.results.length, 1);
  const other = await get(`/jobs/failed?task=reports__send&cursor=${byTask.next}`);
  t.equal(other.statusCode, 400, 'a cursor with another filter');
  t.match(other.json<ApiError>(), { code: 'INVALID_CURSOR', message: /task=threads__classify.*task=reports__send/ });
  const forged = Buffer.from(JSON.stringify({ l: 'admin-failed-jobs', f: {}, p: '1 or 1=1' })).toString('base64url');
  t.match((await get(`/jobs/failed?cursor=${forged}`)).json<ApiError>(), { statusCode: 400, code: 'INVALID_CURSOR' });
  t.equal((await get('/jobs/failed?limit=0')).statusCode, 400);
});

t.test('the crawls running: pages done and pending of the current crawl, files waiting to be indexed', async (t) => {
  const ctx = await build(t, { env: { SOURCES_ALLOW_PRIVATE: 'true', CRAWL_TIMEOUT_MS: '2000' } });
  const get = admin(ctx.app);
  const a = await projectWithKey(ctx.db);
  const api = projectClient(ctx.app, a.projectId, a.key);
  const site = await docsSite(t, {
    '/docs/': htmlPage('Acme docs', 'Start here.', ['guide.html', 'missing.html']),
    '/docs/guide.html': htmlPage('Guide', 'Install the CLI with npm.'),
  });
  t.same((await get('/crawls')).json<Crawls>().results, [], 'nothing running');

  const web = (await api.post('/sources', { type: 'website', name: 'Acme docs', url: `${site.base}/docs/` })).json<{
    id: string;
  }>();
  const files = (await api.post('/sources', { type: 'files', name: 'Manuals' })).json<{ id: string }>();
  for (const path of ['a.md', 'b.md']) {
    const res = await ctx.app.inject({
      method: 'PUT',
      url: `/query/v1/projects/${a.projectId}/sources/${files.id}/documents`,
      headers: { 'x-api-key': a.key },
      payload: { path, content: `# ${path}\n\nSome text.`, content_type: 'text/markdown' },
    });
    t.equal(res.statusCode, 202);
  }
  const listed = () => get('/crawls').then((r) => r.json<Crawls>().results);
  t.match(await listed(), [
    { source: web.id, project: a.projectId, project_name: a.project.projectName, type: 'website', status: 'queued' },
    { source: files.id, type: 'files', status: 'running', pages: { done: 0, pending: 2, failed: 0 } },
  ]);

  // The crawl starts and reaches its start page.
  await drain(ctx, { only: (task) => task === CRAWL_TASK });
  const started = (await listed()).find((c) => c.source === web.id);
  t.match(started, { status: 'running', started_at: String, pages: { failed: 0 } });
  t.ok(started && started.pages.pending >= 1, 'its start page reached, not yet fetched');
  // Every page fetched (one link is a 404), the crawl not finished yet.
  await drain(ctx, { only: (task) => task !== FINISH_CRAWL_TASK });
  t.match(
    (await listed()).find((c) => c.source === web.id),
    {
      status: 'running',
      pages: { done: 3, pending: 0, failed: 1 },
    },
  );
  t.notOk(
    (await listed()).some((c) => c.source === files.id),
    'the files, indexed, are no longer listed',
  );

  await drain(ctx);
  t.same(await listed(), [], 'the crawl finished: nothing running');
});
