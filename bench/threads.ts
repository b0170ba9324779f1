// npm run bench:threads -- [size=1000000] [--other N] [--warmup 2] [--seq 8] [--filter-seq 3] [--load 8] [--connections 32] [--wait-idle 0]
//
// GET /query/v1/projects/:id/threads/ at `size` threads in one project (plus `other` threads in a second
// project, unlabelled, so the tenant filter matters), the project's threads labelled as after a finished
// backfill (every one labelled, a category "Rare" on 5 threads, 55 labels by users): the first page and a page
// 900,000 rows deep (90% of `size` when smaller), at 1 connection (sequential, sub-ms timing, `seq` s each) and
// at `connections` connections (autocannon); and the first page of each filter (category_id = a category, a
// rare one, none; category_source; a 30-day created_after/created_before window; a combination) at 1
// connection, `filter-seq` s each. Also EXPLAIN (ANALYZE, BUFFERS) of the deep page's and category_id=none's
// queries. Last, category_id=none right after every thread of the project was labelled in one UPDATE and
// ANALYZE, before any VACUUM (autovacuum off for threads meanwhile): the unlabelled versions are then dead
// entries in the indexes until VACUUM. Seeding 1,000,000 threads takes 40-90 s, the whole run about 5-6
// minutes (plus waiting, with --wait-idle N: see bench/chat.ts).
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import type { Db } from '../src/db/client.js';
import { seedManyThreads } from '../src/db/queries/seed.js';
import { encodeCursor } from '../src/schemas/cursor.js';
import { runMain } from './lib/cleanup.js';
import { describeCode } from './lib/code.js';
import { waitIdle } from './lib/cpu.js';
import { benchDatabase, createTenant } from './lib/database.js';
import { fetchOnce, loadTest, sequentialLatency, type Target } from './lib/http.js';
import { startApiServer } from './lib/processes.js';
import {
  expectedPage,
  explainListThreads,
  labelAsAfterBackfill,
  listFilters,
  medianChange,
  middleWindow,
  threadsAccess,
} from './lib/threads-list.js';
import {
  banner,
  cores,
  cpuColumnsNote,
  int,
  ms,
  numberArg,
  passFail,
  printResultsHeader,
  step,
  summarize,
  table,
  warnIfDisturbed,
} from './lib/report.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    other: { type: 'string' },
    warmup: { type: 'string' },
    seq: { type: 'string' },
    'filter-seq': { type: 'string' },
    load: { type: 'string' },
    connections: { type: 'string' },
    'wait-idle': { type: 'string' },
  },
});

/** Seeds as `npm run seed` does (seedManyThreads), with a progress line every 10 s. */
async function seed(db: Db, projectId: string, count: number, label: string): Promise<void> {
  let lastReport = Date.now();
  await seedManyThreads(db, {
    projectId,
    count,
    onProgress: (done) => {
      if (Date.now() - lastReport <= 10_000) return;
      lastReport = Date.now();
      step(`  ${label}: ${int(done)} / ${int(count)}`);
    },
  });
}

runMain(async () => {
  const size = Math.floor(numberArg(positionals[0], 1_000_000, 'size'));
  const other = Math.floor(numberArg(values.other, Math.max(1000, Math.round(size / 10)), 'other'));
  const warmup = numberArg(values.warmup, 2, 'warmup');
  const seqSeconds = numberArg(values.seq, 8, 'seq');
  const filterSeconds = numberArg(values['filter-seq'], 3, 'filter-seq');
  const loadSeconds = numberArg(values.load, 8, 'load');
  const connections = numberArg(values.connections, 32, 'connections');
  const idleWait = numberArg(values['wait-idle'], 0, 'wait-idle', true);
  if (size < 2) throw new Error('size (first argument) must be at least 2');
  const depth = Math.max(1, Math.min(900_000, Math.floor(size * 0.9)));
  const code = await describeCode();
  banner('bench:threads', code.text, {
    size,
    other,
    depth,
    warmup,
    seq: seqSeconds,
    'filter-seq': filterSeconds,
    load: loadSeconds,
    connections,
    'wait-idle': idleWait,
  });

  const { url: databaseUrl, db, pgVersion } = await benchDatabase(3);
  const tenant = await createTenant(db, 'bench-threads');
  const neighbour = await createTenant(db, 'bench-threads-neighbour');

  step(`seeding ${int(size)} threads in the measured project, ${int(other)} in a second project`);
  const seedStart = Date.now();
  await seed(db, tenant.projectId, size, 'measured project');
  await seed(db, neighbour.projectId, other, 'second project');
  step(
    `seeded in ${((Date.now() - seedStart) / 1000).toFixed(1)} s; labelling the measured project's threads as after a backfill`,
  );
  const labelStart = Date.now();
  const labels = await labelAsAfterBackfill(db, tenant.projectId);
  const labelCounts = [...labels.counts].map(([k, n]) => `${k} ${int(n)}`).join(', ');
  step(
    `labelled in ${((Date.now() - labelStart) / 1000).toFixed(1)} s (${labelCounts}; the second project unlabelled); VACUUM ANALYZE`,
  );
  await db.execute(sql`vacuum (analyze) threads, question_answers`);

  // The cursor of the page `depth` rows deep: the depth-th row, newest first (what OFFSET pagination would scan).
  const offsetStart = process.hrtime.bigint();
  const [deepRow] = await db.execute<{ created_at: string; id: string }>(sql`
    select created_at::text as created_at, id from threads where project_id = ${tenant.projectId}
    order by created_at desc, id desc offset ${depth - 1} limit 1`);
  const offsetMs = Number(process.hrtime.bigint() - offsetStart) / 1e6;
  const [expectedDeep] = await db.execute<{ id: string }>(sql`
    select id from threads where project_id = ${tenant.projectId}
    order by created_at desc, id desc offset ${depth} limit 1`);
  const [newest] = await db.execute<{ id: string }>(sql`
    select id from threads where project_id = ${tenant.projectId} order by created_at desc, id desc limit 1`);
  const cursor = encodeCursor('threads', {}, { at: deepRow.created_at, id: deepRow.id });

  // EXPLAIN the very statements listThreads (src/db/queries/thread-list.ts) sends for the deep page and for
  // category_id=none (captured from a stand-in db that records the SQL, so this follows the query as it changes).
  const planText = await explainListThreads(db, {
    projectId: tenant.projectId,
    limit: 20,
    cursor: { at: deepRow.created_at, id: deepRow.id },
  });
  // The threads table must be read by a range scan of its (project_id, created_at, id) index, with no sort.
  const deep = threadsAccess(planText);
  const indexScan = deep.rangeScanOnly && deep.index === 'threads_project_created_idx';
  console.log(`\nEXPLAIN (ANALYZE, BUFFERS) of the deep page (cursor at row ${int(depth)}):\n${planText}\n`);
  step(
    `deep page plan: ${indexScan ? 'index scan on threads_project_created_idx, no sort' : 'NOT an index range scan of threads_project_created_idx'}`,
  );
  // category_id=none when no thread of the project is unlabelled: threads must be read by
  // threads_unlabelled_hour_idx in the hours the rollup lists (none here), never by a filter over the
  // project's threads read newest first, and never sorted (the rollup's few hours may be).
  const unlabelledScan = (plan: string) => {
    const access = threadsAccess(plan);
    const ok =
      access.index === 'threads_unlabelled_hour_idx' &&
      /Index Cond: .*date_trunc\('hour'::text, created_at, 'UTC'::text\) = ANY/.test(plan) &&
      !/(Seq|Bitmap Heap) Scan on threads\b|Sort Key: .*\bthreads\./.test(plan);
    return { ...access, ok };
  };
  const nonePlan = await explainListThreads(db, { projectId: tenant.projectId, limit: 20, categoryId: null });
  const none = unlabelledScan(nonePlan);
  const noneIndexed = none.ok;
  console.log(`\nEXPLAIN (ANALYZE, BUFFERS) of category_id=none:\n${nonePlan}\n`);
  const noneSummary = `${nonePlan.split('\n')[0].trim()}; ${none.index ? `index ${none.index}` : 'no index on threads'}${noneIndexed ? ", in the rollup's hours, no sort" : ''}`;
  step(`category_id=none plan: ${noneSummary}`);

  const headers = { 'x-api-key': tenant.key };
  const base = `/query/v1/projects/${tenant.projectId}/threads/?limit=20`;
  const targets: { name: string; target: Target; expectFirst: string; expectCount: number }[] = [
    {
      name: 'first page',
      target: { method: 'GET', path: base, headers },
      expectFirst: newest.id,
      expectCount: Math.min(20, size),
    },
    {
      name: `page ${int(depth)} rows deep`,
      target: { method: 'GET', path: `${base}&cursor=${cursor}`, headers },
      expectFirst: expectedDeep?.id ?? '',
      expectCount: Math.min(20, size - depth),
    },
  ];
  // The first page of each filter, and the ids it must return.
  const window = await middleWindow(db, tenant.projectId, 30);
  const filters = [];
  for (const f of listFilters(labels, window, await medianChange(db, tenant.projectId))) {
    filters.push({
      ...f,
      target: { method: 'GET', path: `${base}${f.query}`, headers } as Target,
      expected: await expectedPage(db, tenant.projectId, f),
    });
  }
  step(`filters: ${filters.map((f) => `${f.name} (${int(f.expected.matching)} threads)`).join(', ')}`);

  const server = await startApiServer({ databaseUrl });
  step(`API server pid ${server.pid} at ${server.baseUrl}`);
  // Sanity: each page is the expected one, 20 threads of the measured project.
  for (const t of targets) {
    const res = await fetchOnce(server.baseUrl, t.target);
    const page = JSON.parse(res.body) as { results: { id: string; project: string }[] };
    const ok =
      res.status === 200 &&
      page.results[0]?.id === t.expectFirst &&
      page.results.every((r) => r.project === tenant.projectId) &&
      page.results.length === t.expectCount;
    if (!ok) throw new Error(`${t.name}: unexpected response ${res.status} ${res.body.slice(0, 300)}`);
  }
  for (const f of filters) {
    const res = await fetchOnce(server.baseUrl, f.target);
    const ids =
      res.status === 200 ? (JSON.parse(res.body) as { results: { id: string }[] }).results.map((r) => r.id) : [];
    if (res.status !== 200 || ids.join() !== f.expected.ids.join())
      throw new Error(`${f.name}: unexpected response ${res.status} ${res.body.slice(0, 300)}`);
  }

  const results = [];
  for (const t of targets) {
    await loadTest(server.baseUrl, t.target, connections, warmup);
    await sequentialLatency(server.baseUrl, t.target, 1);
  }
  for (const f of filters) await sequentialLatency(server.baseUrl, f.target, Math.min(1, warmup));
  for (const t of targets) {
    await waitIdle(idleWait);
    const seq = await sequentialLatency(server.baseUrl, t.target, seqSeconds);
    const s = summarize(seq.latencies);
    step(
      `${t.name}, 1 conn: median ${ms(s.median)}, p99 ${ms(s.p99)}, ${int(seq.requestsPerSecond)} req/s (other processes ${cores(seq.cpu.other)} cores)`,
    );
    results.push({ name: t.name, target: t.target, seq, s });
  }
  const filterRows = [];
  for (const f of filters) {
    await waitIdle(idleWait);
    const seq = await sequentialLatency(server.baseUrl, f.target, filterSeconds);
    const s = summarize(seq.latencies);
    step(
      `${f.name}, 1 conn: median ${ms(s.median)}, p99 ${ms(s.p99)}, ${int(seq.requestsPerSecond)} req/s (other processes ${cores(seq.cpu.other)} cores)`,
    );
    filterRows.push({ name: f.name, matching: f.expected.matching, seq, s });
  }
  const rows = [];
  for (const r of results) {
    await waitIdle(idleWait);
    const load = await loadTest(server.baseUrl, r.target, connections, loadSeconds, server.pid);
    const l = summarize(load.latencies);
    step(
      `${r.name}, ${connections} conns: ${int(load.requestsPerSecond)} req/s, median ${ms(l.median)}, p99 ${ms(l.p99)} (other processes ${cores(load.cpu.other)} cores)`,
    );
    rows.push({ ...r, load, l });
  }

  // category_id=none right after a bulk label, before VACUUM: the project's threads unlabelled again (then
  // VACUUM, so that only the next statement leaves dead entries), autovacuum off for threads, every thread
  // labelled in one UPDATE, ANALYZE, and measured at once. Every unlabelled version is then a dead entry in
  // the indexes of unlabelled threads until VACUUM.
  step(
    'category_id=none after a bulk label: unlabelling the project, VACUUM, one UPDATE labelling every thread, ANALYZE',
  );
  await db.execute(
    sql`update threads set category_id = null, category_source = null, categorized_at = null where project_id = ${tenant.projectId}`,
  );
  await db.execute(sql`vacuum threads`);
  await db.execute(sql`alter table threads set (autovacuum_enabled = false)`);
  const bulkStart = Date.now();
  await db.execute(sql`
    update threads set category_id = case when random() < 0.5 then ${labels.discovery}::uuid else ${labels.troubleshooting}::uuid end,
      category_source = 'classifier', categorized_at = now()
    where project_id = ${tenant.projectId}`);
  await db.execute(sql`analyze threads`);
  step(`labelled ${int(size)} threads in one UPDATE in ${((Date.now() - bulkStart) / 1000).toFixed(1)} s`);
  const afterBulk = { method: 'GET', path: `${base}&category_id=none`, headers } as Target;
  // The first query in this state (no LP_DEAD hints yet), then the same once more.
  const bulkPlans = [await explainListThreads(db, { projectId: tenant.projectId, limit: 20, categoryId: null })];
  bulkPlans.push(await explainListThreads(db, { projectId: tenant.projectId, limit: 20, categoryId: null }));
  const bulkAccess = unlabelledScan(bulkPlans[0]);
  const bulkIndexed = bulkAccess.ok && unlabelledScan(bulkPlans[1]).ok;
  const bulkFirstMs = /Execution Time: (\S+ ms)/.exec(bulkPlans[0])?.[1] ?? '?';
  const bulkCheck = await fetchOnce(server.baseUrl, afterBulk);
  if (bulkCheck.status !== 200 || (JSON.parse(bulkCheck.body) as { results: unknown[] }).results.length !== 0) {
    throw new Error(
      `category_id=none after the bulk label: unexpected response ${bulkCheck.status} ${bulkCheck.body.slice(0, 300)}`,
    );
  }
  const bulkSeq = await sequentialLatency(server.baseUrl, afterBulk, filterSeconds);
  const bulkS = summarize(bulkSeq.latencies);
  const deadLeft = Number(
    (await db.execute<{ n: string }>(sql`select n_dead_tup as n from pg_stat_user_tables where relname = 'threads'`))[0]
      .n,
  );
  step(
    `category_id=none after the bulk label, 1 conn: median ${ms(bulkS.median)}, p99 ${ms(bulkS.p99)} (${int(deadLeft)} dead tuples in threads, not vacuumed)`,
  );
  console.log(
    `\nEXPLAIN (ANALYZE, BUFFERS) of category_id=none right after the bulk label, first run:\n${bulkPlans[0]}\n\nsecond run:\n${bulkPlans[1]}\n`,
  );
  await db.execute(sql`alter table threads reset (autovacuum_enabled)`);
  filterRows.push({
    name: 'category_id=none right after every thread was labelled in one UPDATE + ANALYZE, before VACUUM',
    matching: 0,
    seq: bulkSeq,
    s: bulkS,
  });
  await server.stop();

  printResultsHeader('bench:threads', { pgVersion, code });
  console.log(
    `${int(size)} threads in the measured project (labelled: ${labelCounts}), ${int(other)} in a second one (unlabelled); page size 20\n`,
  );
  console.log(
    table(
      [
        'page',
        '1 conn median',
        '1 conn p99',
        '1 conn req/s',
        `${connections} conn req/s`,
        `${connections} conn median`,
        `${connections} conn p99`,
        'server CPU/req',
        'CPU bench / other',
      ],
      rows.map((r) => [
        r.name,
        ms(r.s.median),
        ms(r.s.p99),
        int(r.seq.requestsPerSecond),
        int(r.load.requestsPerSecond),
        ms(r.l.median),
        ms(r.l.p99),
        ms(r.load.serverCpuPerRequestMs),
        `${cores(r.load.cpu.own)} / ${cores(Math.max(r.seq.cpu.other, r.load.cpu.other))}`,
      ]),
    ),
  );
  console.log(
    `\nFirst page of each filter at 1 connection (${filterSeconds} s each; no filter: ${seqSeconds} s, above):\n`,
  );
  const allFilters = [{ name: 'no filter', matching: size, seq: results[0].seq, s: results[0].s }, ...filterRows];
  console.log(
    table(
      ['filter', 'threads matching', '1 conn median', '1 conn p99', '1 conn req/s', 'median <= 5 ms'],
      allFilters.map((f) => [
        f.name,
        int(f.matching),
        ms(f.s.median),
        ms(f.s.p99),
        int(f.seq.requestsPerSecond),
        passFail(f.s.median <= 5),
      ]),
    ),
  );
  const slowest = allFilters.reduce((a, b) => (b.s.median > a.s.median ? b : a));
  console.log(`\ncategory_id=none plan: ${noneSummary}`);
  console.log(`\nTargets:\n`);
  console.log(
    table(
      ['target', 'measured', 'result'],
      [
        ...rows.map((r) => [`${r.name}: median <= 5 ms at 1 connection`, ms(r.s.median), passFail(r.s.median <= 5)]),
        ...rows.map((r) => [
          `${r.name}: >= 2,000 req/s at ${connections} connections`,
          `${int(r.load.requestsPerSecond)} req/s`,
          passFail(r.load.requestsPerSecond >= 2000),
        ]),
        [
          `every filter: median <= 5 ms at 1 connection`,
          `${ms(slowest.s.median)} (${slowest.name})`,
          passFail(allFilters.every((f) => f.s.median <= 5)),
        ],
        ['deep page query is an index scan', indexScan ? 'index scan, no sort' : 'no', passFail(indexScan)],
        [
          "category_id=none query: threads_unlabelled_hour_idx in the rollup's hours, no sort",
          noneIndexed ? `${none.index}, hours in Index Cond` : 'no',
          passFail(noneIndexed),
        ],
        [
          'category_id=none right after the bulk label: the same plan',
          bulkIndexed ? `${bulkAccess.index}, first run ${bulkFirstMs}` : 'no',
          passFail(bulkIndexed),
        ],
      ],
    ),
  );
  console.log(
    `\n(for comparison: the same row found with OFFSET ${int(depth - 1)} took ${ms(offsetMs)} in PostgreSQL alone)`,
  );
  console.log(cpuColumnsNote(connections));
  warnIfDisturbed(
    Math.max(...rows.flatMap((r) => [r.seq.cpu.other, r.load.cpu.other]), ...filterRows.map((f) => f.seq.cpu.other)),
  );
});
