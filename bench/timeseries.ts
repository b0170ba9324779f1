// npm run bench:timeseries -- [size=1000000] [--seq 5]
//
// GET /query/v1/projects/:id/categories/stats/timeseries at `size` threads created over the past year and then
// labelled as after a backfill (every one labelled): a year by day, by week and by month in America/New_York,
// the last 30 days by day, and a year by day in Asia/Kolkata (a zone whose days split hours), each at 1
// connection for `seq` s, in two states side by side: (1) right after the seed and the labels were written,
// before any compaction of the rollup's deltas and before any VACUUM or ANALYZE (autovacuum is off for the
// tables involved meanwhile, and no worker runs), and (2) after the compaction folded every delta, then VACUUM
// ANALYZE. Then (3) a year by day right after a backfill of every thread through the sweep's own claim and
// its batches' own label statement, 500 a batch, before the compaction they queue has run. Median and p99
// against the target (a year by day <= 100 ms, in every state).
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { seedManyThreads } from '../src/db/queries/seed.js';
import { claimDueThreads, finishBatch, getBatch, type SweepMark } from '../src/db/queries/backfill.js';
import { saveClassifierLabels } from '../src/db/queries/classification.js';
import { compactThreadCounts } from '../src/db/queries/thread-counts.js';
import { runMain } from './lib/cleanup.js';
import { describeCode } from './lib/code.js';
import { benchDatabase, createTenant } from './lib/database.js';
import { fetchOnce, sequentialLatency } from './lib/http.js';
import { startApiServer } from './lib/processes.js';
import { labelAsAfterBackfill } from './lib/threads-list.js';
import { banner, int, ms, numberArg, passFail, printResultsHeader, step, summarize, table } from './lib/report.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { seq: { type: 'string' } } });

runMain(async () => {
  const size = Math.floor(numberArg(positionals[0], 1_000_000, 'size'));
  const seconds = numberArg(values.seq, 5, 'seq');
  const code = await describeCode();
  banner('bench:timeseries', code.text, { size, seq: seconds });

  const { url: databaseUrl, db, pgVersion } = await benchDatabase(3);
  // State (1) is the one before any vacuum or analyze: autovacuum must not get there first.
  const tables = ['threads', 'question_answers', 'thread_counts', 'thread_count_deltas'];
  for (const t of tables) await db.execute(sql.raw(`alter table ${t} set (autovacuum_enabled = false)`));
  const tenant = await createTenant(db, 'bench-timeseries');
  step(`seeding ${int(size)} threads over the past year, then labelling every one as after a backfill`);
  const writeStart = performance.now();
  await seedManyThreads(db, { projectId: tenant.projectId, count: size });
  await labelAsAfterBackfill(db, tenant.projectId);
  const writeMs = performance.now() - writeStart;
  const count = async (table: string) =>
    Number((await db.execute<{ n: string }>(sql.raw(`select count(*) as n from ${table}`)))[0].n);
  const fresh = { deltas: await count('thread_count_deltas'), rollup: await count('thread_counts') };
  step(`written in ${ms(writeMs)}: ${int(fresh.deltas)} deltas not compacted, ${int(fresh.rollup)} rollup rows`);

  const server = await startApiServer({ databaseUrl });
  step(`API server pid ${server.pid} at ${server.baseUrl}`);
  const now = new Date();
  const yearAgo = new Date(now.getTime() - 365 * 86_400_000).toISOString();
  const base = `/query/v1/projects/${tenant.projectId}/categories/stats/timeseries?timezone=`;
  const cases: { name: string; query: string; zone?: string; target: boolean }[] = [
    {
      name: 'a year by day',
      query: `&interval=day&created_after=${yearAgo}&created_before=${now.toISOString()}`,
      target: true,
    },
    {
      name: 'a year by week',
      query: `&interval=week&created_after=${yearAgo}&created_before=${now.toISOString()}`,
      target: false,
    },
    {
      name: 'a year by month',
      query: `&interval=month&created_after=${yearAgo}&created_before=${now.toISOString()}`,
      target: false,
    },
    { name: 'the last 30 days by day (no bounds)', query: '&interval=day', target: false },
    // +05:30: every day begins and ends mid-hour, so each bucket's two half hours are counted from threads.
    {
      name: 'a year by day in Asia/Kolkata',
      query: `&interval=day&created_after=${yearAgo}&created_before=${now.toISOString()}`,
      zone: 'Asia/Kolkata',
      target: false,
    },
  ];
  /** Every case at 1 connection: its buckets, the threads counted and the latency summary. */
  const measure = async (state: string, only = cases) => {
    const measured = [];
    for (const c of only) {
      const target = {
        method: 'GET' as const,
        path: `${base}${c.zone ?? 'America/New_York'}${c.query}`,
        headers: { 'x-api-key': tenant.key },
      };
      const check = await fetchOnce(server.baseUrl, target);
      if (check.status !== 200) throw new Error(`${c.name}: ${check.status} ${check.body.slice(0, 200)}`);
      const body = JSON.parse(check.body) as { results: { total: number }[] };
      const total = body.results.reduce((n, b) => n + b.total, 0);
      const run = await sequentialLatency(server.baseUrl, target, seconds);
      const s = summarize(run.latencies);
      step(
        `${state}: ${c.name}: ${body.results.length} buckets, ${int(total)} threads; median ${ms(s.median)}, p99 ${ms(s.p99)}`,
      );
      measured.push({ ...c, buckets: body.results.length, total, s, requests: run.latencies.length });
    }
    return measured;
  };

  const before = await measure('before compaction');
  const left = await count('thread_count_deltas');
  if (left !== fresh.deltas)
    throw new Error(`the deltas changed from ${fresh.deltas} to ${left} while measuring: something compacted them`);
  // What the compaction task does to the deltas left, then what autovacuum would do in time.
  const compactStart = performance.now();
  while ((await compactThreadCounts(db, 20_000)) > 0);
  const compactMs = performance.now() - compactStart;
  const rollupRows = await count('thread_counts');
  step(`compacted ${int(fresh.deltas)} deltas into ${int(rollupRows)} rollup rows in ${ms(compactMs)}; VACUUM ANALYZE`);
  for (const t of tables) await db.execute(sql.raw(`alter table ${t} reset (autovacuum_enabled)`));
  await db.execute(sql`vacuum (analyze) threads, thread_counts, thread_count_deltas`);
  const after = await measure('compacted');

  // (3) A backfill, as the sweep and its batches write it: every thread unlabelled (one statement), then
  // claimed by the sweep's own statement 500 a batch and labelled by the batch's own statement. No worker
  // runs, so the compaction those statements queue has not run when the series is asked.
  step(`a backfill of every thread through the sweep's batches of 500; no compaction runs`);
  for (const t of tables) await db.execute(sql.raw(`alter table ${t} set (autovacuum_enabled = false)`));
  await db.execute(sql`
    update threads set category_id = null, category_source = null, categorized_at = null, classification_due_at = '-infinity'
    where project_id = ${tenant.projectId}`);
  while ((await compactThreadCounts(db, 20_000)) > 0);
  // As autovacuum would after a million rows changed: without statistics the sweep's statement, planned for
  // no unlabelled thread, takes minutes. (ANALYZE folds no delta: the state measured stays the same.)
  await db.execute(sql`analyze threads`);
  const labels = await db.execute<{ id: string }>(sql`
    select id from categories where project_id = ${tenant.projectId} and name in ('Discovery', 'Troubleshooting') order by name`);
  const relabelStart = performance.now();
  let mark: SweepMark | null = null;
  for (;;) {
    const claim = await claimDueThreads(db, { limit: 4000, batchSize: 500, timeoutSeconds: 3600, after: mark });
    mark = claim.next;
    for (const { id } of await db.execute<{ id: number }>(sql`select id from classification_batches`)) {
      const batch = await getBatch(db, { batchId: id });
      const picked = batch.threadIds.map((threadId, i) => ({ threadId, categoryId: labels[i % labels.length].id }));
      await saveClassifierLabels(db, { projectId: tenant.projectId, labels: picked });
      await finishBatch(db, { batchId: id });
    }
    if (claim.claimed === 0) break;
  }
  const relabelMs = performance.now() - relabelStart;
  const piled = await count('thread_count_deltas');
  step(`labelled in ${ms(relabelMs)}: ${int(piled)} deltas not compacted`);
  const [piledYear] = await measure(
    'after a backfill, before its compaction',
    cases.filter((c) => c.target),
  );
  await server.stop();

  printResultsHeader('bench:timeseries', { pgVersion, code });
  console.log(
    `${int(size)} threads in one project, created over the past year, every one labelled; America/New_York unless named.`,
  );
  console.log(
    `Right after writing (${ms(writeMs)}): ${int(fresh.deltas)} deltas not compacted beside ${int(fresh.rollup)} rollup rows, no VACUUM or ANALYZE yet.`,
  );
  console.log(`Then compacted into ${int(rollupRows)} rollup rows in ${ms(compactMs)}, and VACUUM ANALYZE.\n`);
  console.log(
    table(
      [
        'window',
        'buckets',
        'threads counted',
        'right after: median',
        'right after: p99',
        'compacted: median',
        'compacted: p99',
      ],
      before.map((b, i) => {
        const a = after[i];
        return [b.name, String(b.buckets), int(b.total), ms(b.s.median), ms(b.s.p99), ms(a.s.median), ms(a.s.p99)];
      }),
    ),
  );
  console.log(
    `\nAfter a backfill of every thread through the sweep's batches of 500 (${ms(relabelMs)}), before any compaction: ${int(piled)} deltas; ` +
      `a year by day median ${ms(piledYear.s.median)}, p99 ${ms(piledYear.s.p99)}.`,
  );
  const yearBefore = before.find((c) => c.target)!.s.median;
  const yearAfter = after.find((c) => c.target)!.s.median;
  console.log('\nTargets:\n');
  console.log(
    table(
      ['target', 'measured', 'result'],
      [
        [
          `a year by day over ${int(size)} threads, right after writing: median <= 100 ms`,
          ms(yearBefore),
          passFail(yearBefore <= 100),
        ],
        [
          `a year by day over ${int(size)} threads, compacted: median <= 100 ms`,
          ms(yearAfter),
          passFail(yearAfter <= 100),
        ],
        [
          `a year by day over ${int(size)} threads, right after a backfill, before any compaction: median <= 100 ms`,
          ms(piledYear.s.median),
          passFail(piledYear.s.median <= 100),
        ],
      ],
    ),
  );
});
