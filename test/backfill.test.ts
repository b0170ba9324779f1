import { spawn } from 'node:child_process';
import t, { type Test } from 'tap';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { backfill } from '../src/cli/backfill.js';
import { seedThreads } from '../src/db/queries/seed.js';
import { claimDueThreads } from '../src/db/queries/backfill.js';
import { kickSweep } from '../src/jobs/specs.js';
import { LimitedClassifier, StaticClassifier, type CategoryChoice, type Classifier } from '../src/models/classifier.js';
import { startWorker } from '../src/worker.js';
import type { Db } from '../src/db/client.js';
import { runCli } from './cli-io.js';
import { ADMIN_TOKEN, build, rescheduleJobs, waitFor } from './helper.js';
import { nodeArgs } from './transpile.js';
import { projectClient, projectWithKey } from './factories.js';

interface ClassificationStatus {
  categorisation: string;
  total_threads: number;
  unlabelled: number;
  parked: number;
  rate_per_second: number;
  projects: { project: string; unlabelled: number }[];
}
interface Listed {
  results: { id: string }[];
}

const silent = pino({ level: 'silent' });
const FAST = { CLASSIFY_BATCH_SIZE: '50', BACKFILL_QUEUE_THREADS: '200' };

/** The stand-in classifier (at latency 0 unless given), counting its calls per thread question. */
class CountingClassifier implements Classifier {
  calls = 0;
  firstCallAt: Date | null = null;
  private inner: StaticClassifier;
  constructor(latencyMs = 0) {
    this.inner = new StaticClassifier(latencyMs);
  }
  classify(question: string, categories: CategoryChoice[]) {
    this.calls++;
    this.firstCallAt ??= new Date();
    return this.inner.classify(question, categories);
  }
}

async function unlabelled(db: Db, projectId?: string): Promise<number> {
  const project = projectId ? sql`and project_id = ${projectId}` : sql``;
  return (
    await db.execute<{ n: number }>(sql`select count(*)::int as n from threads where category_id is null ${project}`)
  )[0].n;
}

/** Waits until every thread is labelled. */
async function allLabelled(t: Test, db: Db) {
  await waitFor('every thread labelled', async () => (await unlabelled(db)) === 0, { timeoutMs: 90_000 });
  t.pass('every thread labelled');
}

t.test('a seeded backlog is labelled by a worker with no manual step; user labels set before survive', async (t) => {
  const ctx = await build(t, { env: FAST });
  const a = await projectWithKey(ctx.db, 'A');
  const b = await projectWithKey(ctx.db, 'B');
  await seedThreads(ctx.db, { projectId: a.projectId, count: 700 });
  await seedThreads(ctx.db, { projectId: b.projectId, count: 300 });
  t.equal(await unlabelled(ctx.db), 1000);
  // (The rollup's compaction may be queued: the seed appended many deltas. No classification job is.)
  const jobs = sql`select count(*)::int as n from graphile_worker.jobs where task_identifier <> 'thread_counts__compact'`;
  t.equal((await ctx.db.execute<{ n: number }>(jobs))[0].n, 0, 'seeding adds no classification job');

  // Users label 25 backlog threads before any worker runs.
  const api = projectClient(ctx.app, a.projectId, a.key);
  const [, troubleshooting] = (await api.get('/categories/')).json<Listed>().results;
  const picked = (await api.get('/threads/?limit=25')).json<Listed>().results.map((x) => x.id);
  for (const id of picked) await api.patch(`/threads/${id}/`, { category_id: troubleshooting.id });

  const status = async () =>
    (
      await ctx.app.inject({
        method: 'GET',
        url: '/admin/v1/classification',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      })
    ).json<ClassificationStatus>();
  const before = await status();
  t.match(before, { categorisation: 'on', total_threads: 1000, unlabelled: 975, parked: 0, rate_per_second: 0 });
  t.same(
    before.projects.map((p) => [p.project, p.unlabelled]),
    [
      [a.projectId, 675],
      [b.projectId, 300],
    ],
  );
  const cli = await runCli(backfill, ['--once', '--project', b.projectId], { DATABASE_URL: ctx.url });
  t.equal(cli.code, 0);
  t.match(cli.stdout, /\[-+\] 0 \/ 300 labelled \(0\.0%\)/);

  const classifier = new CountingClassifier();
  const runner = await startWorker({ config: ctx.config, db: ctx.db, log: silent, databaseUrl: ctx.url, classifier });
  t.teardown(() => runner.stop());
  await allLabelled(t, ctx.db);
  // Workers add their counts to the rate table about once a second.
  const after = await waitFor('a rate reported', async () => {
    const now = await status();
    return now.rate_per_second > 0 && now;
  });
  t.match(after, { unlabelled: 0, projects: [] });
  t.ok(after.rate_per_second > 0, 'a rate is reported');
  const metrics = (await ctx.app.inject('/metrics')).body;
  t.match(metrics, /classification_rate_per_second [0-9.]+/);
  const done = await runCli(backfill, ['--once'], { DATABASE_URL: ctx.url });
  t.match(done.stdout, /\[#{30}\] 1,000 \/ 1,000 labelled \(100\.0%\) .* done/);
  t.equal(classifier.calls, 975, 'each unlabelled thread classified once, user-labelled ones never');
  const [users] = await ctx.db.execute<{ n: number }>(sql`
    select count(*)::int as n from threads where category_source = 'user' and category_id = ${troubleshooting.id}`);
  t.equal(users.n, 25, "the users' labels stayed");
  const [batches] = await ctx.db.execute<{ n: number }>(sql`select count(*)::int as n from classification_batches`);
  t.equal(batches.n, 0, 'every batch released once done');
});

t.test("a simulated dead worker's in-flight threads are picked up after the timeout", async (t) => {
  const ctx = await build(t, { env: { ...FAST, CLASSIFICATION_TIMEOUT_SECONDS: '2' } });
  const a = await projectWithKey(ctx.db);
  await seedThreads(ctx.db, { projectId: a.projectId, count: 120 });
  // A worker claims a slice and dies: its jobs stay locked (graphile-worker would wait 4 hours).
  const { claimed } = await claimDueThreads(ctx.db, { limit: 120, batchSize: 50, timeoutSeconds: 2 });
  t.equal(claimed, 120);
  const sizes = await ctx.db.execute<{ n: number }>(
    sql`select cardinality(thread_ids) as n from classification_batches order by n desc`,
  );
  t.same(
    sizes.map((r) => r.n),
    [50, 50, 20],
    'batches of at most batchSize threads of one project',
  );
  // Its jobs cannot run for hours (graphile-worker waits 4 hours for a dead worker's locks).
  const jobs = await ctx.db.execute<{ id: string }>(sql`select id::text from graphile_worker.jobs`);
  await rescheduleJobs(
    ctx.url,
    jobs.map((j) => j.id),
    { runAt: new Date(Date.now() + 4 * 3600_000) },
  );
  const [{ until }] = await ctx.db.execute<{ until: Date }>(
    sql`select max(claimed_until) as until from classification_batches`,
  );

  const classifier = new CountingClassifier();
  const runner = await startWorker({ config: ctx.config, db: ctx.db, log: silent, databaseUrl: ctx.url, classifier });
  t.teardown(() => runner.stop());
  await allLabelled(t, ctx.db);
  t.equal(classifier.calls, 120, 'each thread classified once');
  t.ok(
    classifier.firstCallAt! >= new Date(until),
    'not before the claims ran out: the claimed threads were not taken twice at once',
  );
});

t.test(
  "a new thread is labelled at once while backfill batches hold every background slot and the classifier's budget",
  async (t) => {
    const ctx = await build(t, { env: { ...FAST, BACKGROUND_CONCURRENCY: '2', WORKER_CONCURRENCY: '2' } });
    const a = await projectWithKey(ctx.db);
    await seedThreads(ctx.db, { projectId: a.projectId, count: 300 });
    // Backfill calls hang until the gate opens; live calls answer at once. 20 calls at most in flight.
    let openGate!: () => void;
    const gate = new Promise<void>((r) => (openGate = r));
    let backfillInFlight = 0;
    const inner = new StaticClassifier(0);
    const gated: Classifier = {
      async classify(question, categories, lane) {
        if (lane === 'backfill') {
          backfillInFlight++;
          await gate;
          backfillInFlight--;
        }
        return inner.classify(question, categories);
      },
    };
    const runner = await startWorker({
      config: ctx.config,
      db: ctx.db,
      log: silent,
      databaseUrl: ctx.url,
      classifier: new LimitedClassifier(gated, 20),
    });
    t.teardown(() => {
      openGate();
      return runner.stop();
    });
    // Two batches of 50 run (both background slots), 19 of their calls in flight (the 20th slot is kept).
    await waitFor('the backfill to hold its calls', () => backfillInFlight >= 19);
    t.equal(backfillInFlight, 19, 'the backfill holds all it may');

    const { thread_id } = await projectClient(ctx.app, a.projectId, a.key).chat('How do I configure SSO?');
    const labelled = async () =>
      (
        await ctx.db.execute<{ n: number }>(
          sql`select count(*)::int as n from threads where id = ${thread_id} and category_id is not null`,
        )
      )[0].n;
    await waitFor('the new thread labelled', async () => (await labelled()) === 1);
    t.equal(await labelled(), 1, 'the new thread is labelled');
    t.equal(await unlabelled(ctx.db), 300, 'while no backfilled thread is');
    openGate();
    await allLabelled(t, ctx.db);
  },
);

t.test('two workers share a backlog without classifying a thread twice', async (t) => {
  // Two batches at a time per worker, each taking a moment: with four queued, the first worker to look cannot
  // take them all (in one process, on a loaded machine, it would otherwise drain the backlog alone).
  const ctx = await build(t, { env: { ...FAST, BACKGROUND_CONCURRENCY: '2' } });
  const a = await projectWithKey(ctx.db);
  const one = new CountingClassifier(20);
  const two = new CountingClassifier(20);
  const r1 = await startWorker({ config: ctx.config, db: ctx.db, log: silent, databaseUrl: ctx.url, classifier: one });
  const r2 = await startWorker({ config: ctx.config, db: ctx.db, log: silent, databaseUrl: ctx.url, classifier: two });
  t.teardown(async () => {
    await r1.stop();
    await r2.stop();
  });
  // The backlog appears once both run, so that neither can finish it before the other has started.
  await seedThreads(ctx.db, { projectId: a.projectId, count: 800 });
  await kickSweep(ctx.db);
  await allLabelled(t, ctx.db);
  t.equal(one.calls + two.calls, 800, 'every thread classified exactly once');
  t.ok(one.calls > 0 && two.calls > 0, `both worked (${one.calls} + ${two.calls})`);
});

t.test('a worker process killed with SIGKILL mid-backfill loses nothing; a restarted one finishes', async (t) => {
  const ctx = await build(t, {
    env: { ...FAST, CLASSIFICATION_TIMEOUT_SECONDS: '2', CLASSIFIER_LATENCY_MS: '100', CLASSIFIER_CONCURRENCY: '50' },
  });
  const a = await projectWithKey(ctx.db);
  await seedThreads(ctx.db, { projectId: a.projectId, count: 1000 });
  const api = projectClient(ctx.app, a.projectId, a.key);
  const [discovery] = (await api.get('/categories/')).json<Listed>().results;
  const userLabelled = (await api.get('/threads/?limit=10')).json<Listed>().results.map((x) => x.id);

  const env = {
    ...process.env,
    DATABASE_URL: ctx.url,
    LOG_LEVEL: 'silent',
    METRICS_PORT: '0',
    ...FAST,
    CLASSIFICATION_TIMEOUT_SECONDS: '2',
    // Slow enough that it still holds threads in flight when the test gets to kill it, however loaded the
    // machine (at 100 ms it could finish the whole backlog while the test labelled threads by hand).
    CLASSIFIER_LATENCY_MS: '1000',
    CLASSIFIER_CONCURRENCY: '50',
  };
  const child = spawn(process.execPath, nodeArgs('src/worker.ts'), { env, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.teardown(() => void child.kill('SIGKILL'));
  // Kill it once it has labelled some threads and holds others in flight.
  await waitFor(
    'the worker process to label 50 threads',
    async () => child.exitCode !== null || (await unlabelled(ctx.db)) <= 950,
    { timeoutMs: 90_000 },
  );
  t.equal(child.exitCode, null, 'the worker process was running');
  for (const id of userLabelled) await api.patch(`/threads/${id}/`, { category_id: discovery.id });
  child.kill('SIGKILL');
  await exited;
  const [locked] = await ctx.db.execute<{ n: number }>(
    sql`select count(*)::int as n from graphile_worker.jobs where locked_at is not null`,
  );
  t.ok(locked.n > 0, `the dead worker left ${locked.n} jobs locked`);
  t.ok((await unlabelled(ctx.db)) > 0, 'work was left');

  const runner = await startWorker({
    config: ctx.config,
    db: ctx.db,
    log: silent,
    databaseUrl: ctx.url,
    classifier: new CountingClassifier(),
  });
  t.teardown(() => runner.stop());
  await allLabelled(t, ctx.db);
  const [users] = await ctx.db.execute<{ n: number }>(sql`
    select count(*)::int as n from threads where id = any(${`{${userLabelled.join(',')}}`}::uuid[]) and category_source = 'user' and category_id = ${discovery.id}`);
  t.equal(users.n, 10, 'no user label overwritten');
});
