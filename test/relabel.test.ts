// Relabelling the history after a taxonomy change: a preview that changes nothing, then a run through the
// backfill machinery with progress and cancel; a label a user set is never touched.
import t, { type Test } from 'tap';
import { sql } from 'drizzle-orm';
import type { Static } from '@sinclair/typebox';
import { pino } from 'pino';
import { seedThreads } from '../src/db/queries/seed.js';
import { StaticClassifier } from '../src/models/classifier.js';
import { startWorker } from '../src/worker.js';
import { build, drain, waitFor } from './helper.js';
import { ControlledClassifier, projectClient, projectWithKey } from './factories.js';
import { startService } from './processes.js';
import type { Category as CategorySchema } from '../src/schemas/categories.js';
import type { RelabelPreview, RelabelRunSchema } from '../src/schemas/relabel.js';
import type { ThreadPage } from '../src/schemas/threads.js';

type Category = Static<typeof CategorySchema>;
type Categories = { results: Category[] };
type Threads = Static<typeof ThreadPage>;
type Run = Static<typeof RelabelRunSchema>;

/** A project whose threads the classifier labelled before it had a Careers category. */
async function history(t: Test) {
  const ctx = await build(t);
  const a = await projectWithKey(ctx.db);
  const api = projectClient(ctx.app, a.projectId, a.key);
  for (let i = 0; i < 6; i++) await api.chat(`What are the system requirements for running the software, part ${i}?`);
  for (let i = 0; i < 4; i++) await api.chat(`Are there careers openings, question ${i}?`);
  await drain(ctx);
  const threads = async () => (await api.get('/threads/?limit=100')).json<Threads>().results;
  t.ok(
    (await threads()).every((x) => x.category_source === 'classifier'),
    'setup: every thread labelled by the classifier',
  );
  const careers = (
    await api.post('/categories/', { name: 'Careers', description: 'careers openings jobs hiring' })
  ).json<Category>();
  return { ctx, a, api, threads, careers };
}

t.test(
  'the preview classifies a sample against the new categories, estimates the run and changes nothing',
  async (t) => {
    const { api, threads, careers } = await history(t);
    const before = await threads();
    const res = await api.post('/categories/relabel/preview', {});
    t.equal(res.statusCode, 200);
    const preview = res.json<Static<typeof RelabelPreview>>();
    t.equal(preview.sampled, 10, 'every classifier-labelled thread: fewer than the default 100');
    t.equal(preview.would_change, 4);
    t.equal(preview.changes.length, 4);
    for (const c of preview.changes) {
      t.match(c.first_question, /careers/);
      t.same(c.to, { id: careers.id, name: 'Careers' });
      t.equal(c.from?.id, before.find((x) => x.id === c.thread_id)!.category!.id, 'from: its label now');
    }
    t.match(preview.estimate, { threads: 10, provider_calls: 10, seconds: Number });
    t.same(await threads(), before, 'nothing changed');
    t.equal(
      (await api.post('/categories/relabel/preview', { sample: 3 })).json<Static<typeof RelabelPreview>>().sampled,
      3,
    );
    for (const sample of [0, 501, 'ten'])
      t.equal((await api.post('/categories/relabel/preview', { sample })).statusCode, 400);
    t.equal((await api.get('/categories/relabel')).statusCode, 404, 'no run yet');
  },
);

t.test(
  "a run relabels the history, never a user's label (even one set while its classification is in flight), and ends done",
  async (t) => {
    const { ctx, api, threads, careers } = await history(t);
    const before = await threads();
    const careersThreads = before.filter((x) => /careers/.test(x.first_question));
    const [userLabelled, raced] = careersThreads;
    const discovery =
      before.find((x) => x.category?.name === 'Discovery')?.category ??
      (await api.get('/categories/')).json<Categories>().results[0];
    await api.patch(`/threads/${userLabelled.id}/`, { category_id: discovery.id });

    const started = await api.post('/categories/relabel', {});
    t.equal(started.statusCode, 202);
    t.match(
      started.json(),
      { status: 'running', total: 9, done: 0, finished_at: null },
      'total: the classifier-labelled threads',
    );
    t.equal((await api.post('/categories/relabel', {})).statusCode, 409, 'one run at a time');
    t.match((await api.get('/categories/relabel')).json(), { id: started.json<Run>().id, status: 'running' });

    // The classifier takes the `raced` thread's question, and the user labels that thread before it answers.
    const classifier = new ControlledClassifier();
    const inFlight = classifier.hold();
    const worker = drain(ctx, { classifier });
    await inFlight;
    t.ok(
      (await threads()).every((x) => x.category !== null),
      'mid-run every thread keeps its label',
    );
    t.equal((await api.patch(`/threads/${raced.id}/`, { category_id: discovery.id })).statusCode, 200);
    classifier.release();
    await worker;

    const after = await threads();
    const byId = new Map(after.map((x) => [x.id, x]));
    for (const id of [userLabelled.id, raced.id])
      t.match(byId.get(id), { category: { id: discovery.id }, category_source: 'user' }, "a user's label stays");
    for (const x of careersThreads.slice(2))
      t.match(byId.get(x.id), { category: { id: careers.id }, category_source: 'classifier' }, 'relabelled');
    for (const x of before.filter((x) => !/careers/.test(x.first_question))) {
      t.match(
        byId.get(x.id),
        { category: { id: x.category!.id }, category_source: 'classifier' },
        'the same label again',
      );
    }
    t.match((await api.get('/categories/relabel')).json(), { status: 'done', total: 9, done: 9, finished_at: /Z$/ });
    t.ok(classifier.questions.length >= 8, 'the run classified the threads again');
    t.equal((await api.delete('/categories/relabel')).statusCode, 404, 'nothing running to cancel');
    t.equal((await api.post('/categories/relabel', {})).statusCode, 202, 'a new run once the last one is done');
  },
);

t.test('a cancelled run changes no label afterwards, not even from a batch in flight; progress stays', async (t) => {
  const { ctx, a, api, threads } = await history(t);
  const before = await threads();
  const run = (await api.post('/categories/relabel', {})).json<Run>();

  const classifier = new ControlledClassifier();
  const inFlight = classifier.hold();
  const worker = drain(ctx, { classifier });
  await inFlight; // a batch is being classified
  const cancelled = await api.delete('/categories/relabel');
  t.equal(cancelled.statusCode, 202);
  t.match(cancelled.json(), { id: run.id, status: 'cancelled', total: 10, done: 0, finished_at: /Z$/ });
  classifier.release();
  await worker;
  t.same(await threads(), before, 'no label changed after the cancel');
  t.match((await api.get('/categories/relabel')).json(), { status: 'cancelled', done: 0 });
  const [held] = await ctx.db.execute<{ n: number }>(
    sql`select count(*)::int as n from classification_batches where project_id = ${a.projectId}`,
  );
  t.equal(held.n, 0, 'its batches are gone');

  // Another project never sees this one's run.
  const b = await projectWithKey(ctx.db);
  const apiB = projectClient(ctx.app, b.projectId, b.key);
  t.equal((await apiB.get('/categories/relabel')).statusCode, 404);
  t.equal((await apiB.delete('/categories/relabel')).statusCode, 404);
});

t.test(
  'a worker process killed with SIGKILL mid-relabel loses nothing; a restarted one finishes the run',
  async (t) => {
    const FAST = {
      CLASSIFY_BATCH_SIZE: '50',
      BACKFILL_QUEUE_THREADS: '200',
      CLASSIFICATION_TIMEOUT_SECONDS: '2',
      CLASSIFIER_LATENCY_MS: '100',
      CLASSIFIER_CONCURRENCY: '50',
    };
    const ctx = await build(t, { env: FAST });
    const a = await projectWithKey(ctx.db);
    const api = projectClient(ctx.app, a.projectId, a.key);
    await seedThreads(ctx.db, { projectId: a.projectId, count: 2000 });
    const [discovery] = (await api.get('/categories/')).json<Categories>().results;
    // The history as the classifier left it an hour ago.
    await ctx.db.execute(sql`
    update threads set category_id = ${discovery.id}, category_source = 'classifier', categorized_at = now() - interval '1 hour'
    where project_id = ${a.projectId}`);
    await api.post('/categories/', { name: 'Careers', description: 'careers openings jobs hiring' });
    const run = (await api.post('/categories/relabel', {})).json<Run>();
    t.equal(run.total, 2000);
    const unlabelledOrNull = async () =>
      (
        await ctx.db.execute<{ n: number }>(
          sql`select count(*)::int as n from threads where project_id = ${a.projectId} and category_id is null`,
        )
      )[0].n;

    const worker = await startService(t, 'src/worker.ts', { DATABASE_URL: ctx.url, ...FAST }, '/metrics');
    const progress = async () => (await api.get('/categories/relabel')).json<Run>();
    await waitFor(
      'the worker process to relabel 300 threads (or to exit)',
      async () => !worker.running() || (await progress()).done >= 300,
    );
    t.ok(worker.running(), 'the worker process was running');
    const userLabelled = (await api.get('/threads/?limit=10')).json<Threads>().results.map((x) => x.id);
    for (const id of userLabelled) await api.patch(`/threads/${id}/`, { category_id: discovery.id });
    worker.child.kill('SIGKILL');
    await worker.exited;
    const killedAt = await progress();
    t.equal(killedAt.status, 'running', 'work was left');
    t.equal(await unlabelledOrNull(), 0, 'no thread without a label mid-run');

    const runner = await startWorker({
      config: ctx.config,
      db: ctx.db,
      log: pino({ level: 'silent' }),
      databaseUrl: ctx.url,
      classifier: new StaticClassifier(0),
    });
    t.teardown(() => runner.stop());
    let last = await progress();
    let backwards = 0;
    last = await waitFor(
      'the restarted worker to finish the run',
      async () => {
        const now = await progress();
        if (now.done < last.done) backwards++;
        last = now;
        return now.status !== 'running' && now;
      },
      { timeoutMs: 60_000, everyMs: 100 },
    );
    t.equal(backwards, 0, 'done never went back');
    t.match(last, { status: 'done', total: 2000, done: 2000 });
    const [left] = await ctx.db.execute<{ n: number }>(sql`
    select count(*)::int as n from threads where project_id = ${a.projectId} and category_source = 'classifier' and categorized_at < ${run.started_at}::timestamptz`);
    t.equal(left.n, 0, 'every classifier-labelled thread classified again');
    t.equal(await unlabelledOrNull(), 0);
    const [users] = await ctx.db.execute<{ n: number }>(sql`
    select count(*)::int as n from threads where id = any(${`{${userLabelled.join(',')}}`}::uuid[]) and category_source = 'user' and category_id = ${discovery.id}`);
    t.equal(users.n, 10, 'no user label overwritten');
  },
);
