// npm run bench:timeseries -- [size=1000000] [--seq 5]
//
// GET /query/v1/projects/:id/categories/stats/timeseries at `size` threads created over the past year
// (labelled as after a backfill, the rollup's deltas then compacted as the cron would): a year by day, by
// week and by month in America/New_York, the last 30 days by day, and a year by day in Asia/Kolkata (a zone
// whose days split hours), each at 1 connection for `seq` s; median and p99 against SPEC §7 (a year by day
// ≤ 100 ms).
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { seedManyThreads } from '../src/db/queries/seed.js';
import { compactThreadCounts } from '../src/db/queries/timeseries.js';
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
  const tenant = await createTenant(db, 'bench-timeseries');
  step(`seeding ${int(size)} threads over the past year`);
  await seedManyThreads(db, { projectId: tenant.projectId, count: size });
  await labelAsAfterBackfill(db, tenant.projectId);
  // What the every-minute compaction does to the deltas the seeding and labelling appended.
  const deltas = Number((await db.execute<{ n: string }>(sql`select count(*) as n from thread_count_deltas`))[0]!.n);
  const compactStart = performance.now();
  while ((await compactThreadCounts(db, 20_000)) > 0);
  const compactMs = performance.now() - compactStart;
  const rollupRows = Number((await db.execute<{ n: string }>(sql`select count(*) as n from thread_counts`))[0]!.n);
  step(`compacted ${int(deltas)} deltas into ${int(rollupRows)} rows in ${ms(compactMs)}`);
  await db.execute(sql`vacuum (analyze) threads, thread_counts, thread_count_deltas`);

  const server = await startApiServer({ databaseUrl });
  step(`API server pid ${server.pid} at ${server.baseUrl}`);
  const now = new Date();
  const yearAgo = new Date(now.getTime() - 365 * 86_400_000).toISOString();
  const base = `/query/v1/projects/${tenant.projectId}/categories/stats/timeseries?timezone=`;
  const cases: { name: string; query: string; zone?: string; target: boolean }[] = [
    { name: 'a year by day', query: `&interval=day&created_after=${yearAgo}&created_before=${now.toISOString()}`, target: true },
    { name: 'a year by week', query: `&interval=week&created_after=${yearAgo}&created_before=${now.toISOString()}`, target: false },
    { name: 'a year by month', query: `&interval=month&created_after=${yearAgo}&created_before=${now.toISOString()}`, target: false },
    { name: 'the last 30 days by day (no bounds)', query: '&interval=day', target: false },
    // +05:30: every day begins and ends mid-hour, so each bucket's two half hours are counted from threads.
    { name: 'a year by day in Asia/Kolkata', query: `&interval=day&created_after=${yearAgo}&created_before=${now.toISOString()}`, zone: 'Asia/Kolkata', target: false },
  ];
  const rows: string[][] = [];
  let yearByDay = NaN;
  for (const c of cases) {
    const target = { method: 'GET' as const, path: `${base}${c.zone ?? 'America/New_York'}${c.query}`, headers: { 'x-api-key': tenant.key } };
    const check = await fetchOnce(server.baseUrl, target);
    const body = JSON.parse(check.body) as { results: { total: number }[] };
    if (check.status !== 200) throw new Error(`${c.name}: ${check.status} ${check.body.slice(0, 200)}`);
    const total = body.results.reduce((n, b) => n + b.total, 0);
    const run = await sequentialLatency(server.baseUrl, target, seconds);
    const s = summarize(run.latencies);
    if (c.target) yearByDay = s.median;
    step(`${c.name}: ${body.results.length} buckets, ${int(total)} threads; median ${ms(s.median)}, p99 ${ms(s.p99)}`);
    rows.push([c.name, String(body.results.length), int(total), ms(s.median), ms(s.p99), String(run.latencies.length)]);
  }

  printResultsHeader('bench:timeseries', { pgVersion, code });
  console.log(`${int(size)} threads in one project, created over the past year, every one labelled; America/New_York unless named.`);
  console.log(`The rollup: ${int(deltas)} deltas from seeding and labelling compacted into ${int(rollupRows)} rows in ${ms(compactMs)}.\n`);
  console.log(table(['window', 'buckets', 'threads counted', '1 conn median', '1 conn p99', 'requests'], rows));
  console.log('\nTargets:\n');
  console.log(table(['target', 'measured', 'result'], [[`a year by day over ${int(size)} threads: median <= 100 ms`, ms(yearByDay), passFail(yearByDay <= 100)]]));
});
