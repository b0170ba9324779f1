// npm run bench:threads -- [size=1000000] [--other N] [--warmup 2] [--seq 8] [--load 8] [--connections 32] [--wait-idle 0]
//
// GET /query/v1/projects/:id/threads/ at `size` threads in one project (plus `other` threads in a second
// project, so the tenant filter matters): the first page and a page 900,000 rows deep (90% of `size` when
// smaller), at 1 connection (sequential, sub-ms timing) and at `connections` connections (autocannon).
// Also EXPLAIN (ANALYZE, BUFFERS) of the deep page's query. Seeding 1,000,000 threads takes 40-90 s, the
// whole run about 3 minutes (plus waiting, with --wait-idle N: see bench/chat.ts).
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import { closeDb, createDb, type Db } from '../src/db/client.js';
import { seedManyThreads } from '../src/db/queries/seed.js';
import { listThreads, type ListThreadsParams } from '../src/db/queries/threads.js';
import * as schema from '../src/db/schema/index.js';
import { encodeCursor } from '../src/lib/cursor.js';
import { onCleanup, runMain } from './lib/cleanup.js';
import { describeCode } from './lib/code.js';
import { waitIdle } from './lib/cpu.js';
import { createTenant, migrate, openBenchDatabase, serverVersion } from './lib/database.js';
import { fetchOnce, loadTest, sequentialLatency, type Target } from './lib/http.js';
import { startApiServer } from './lib/processes.js';
import {
  banner, cores, cpuColumnsNote, int, ms, numberArg, passFail, printResultsHeader, step, summarize, table, warnIfDisturbed,
} from './lib/report.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    other: { type: 'string' },
    warmup: { type: 'string' },
    seq: { type: 'string' },
    load: { type: 'string' },
    connections: { type: 'string' },
    'wait-idle': { type: 'string' },
  },
});

/**
 * The SQL text and parameters listThreads sends to PostgreSQL for these parameters, captured where every drizzle
 * statement ends (the postgres.js client's unsafe()) from a stand-in db that answers with no rows: however
 * listThreads builds and runs its query, it is captured, and not run (EXPLAIN ANALYZE below is its first run).
 */
async function capturedListThreadsSql(p: ListThreadsParams): Promise<{ sql: string; params: unknown[] }> {
  const sent: { sql: string; params: unknown[] }[] = [];
  const recorder = drizzle.mock({ schema, casing: 'snake_case' });
  const noRows = () => Object.assign(Promise.resolve([]), { values: () => Promise.resolve([]) });
  Object.assign(recorder.$client, { unsafe: (text: string, params: unknown[] = []) => (sent.push({ sql: text, params }), noRows()) });
  await listThreads(recorder as unknown as Db, p);
  if (sent.length !== 1) throw new Error(`listThreads sent ${sent.length} statements instead of 1: update bench/threads.ts`);
  return sent[0]!;
}

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
  const loadSeconds = numberArg(values.load, 8, 'load');
  const connections = numberArg(values.connections, 32, 'connections');
  const idleWait = numberArg(values['wait-idle'], 0, 'wait-idle', true);
  if (size < 2) throw new Error('size (first argument) must be at least 2');
  const depth = Math.max(1, Math.min(900_000, Math.floor(size * 0.9)));
  const code = await describeCode();
  banner('bench:threads', code.text, { size, other, depth, warmup, seq: seqSeconds, load: loadSeconds, connections, 'wait-idle': idleWait });

  const database = await openBenchDatabase();
  step(`database: ${database.where}`);
  await migrate(database.url);
  const db = createDb(database.url, { max: 3 });
  onCleanup('close bench pool', () => closeDb(db));
  const pgVersion = await serverVersion(db);
  const tenant = await createTenant(db, 'bench-threads');
  const neighbour = await createTenant(db, 'bench-threads-neighbour');

  step(`seeding ${int(size)} threads in the measured project, ${int(other)} in a second project`);
  const seedStart = Date.now();
  await seed(db, tenant.projectId, size, 'measured project');
  await seed(db, neighbour.projectId, other, 'second project');
  step(`seeded in ${((Date.now() - seedStart) / 1000).toFixed(1)} s; VACUUM ANALYZE`);
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
  const cursor = encodeCursor({ createdAt: deepRow!.created_at, id: deepRow!.id });

  // EXPLAIN the very statement listThreads (src/db/queries/threads.ts) sends for that page: captured from a
  // stand-in db that records the SQL, so this follows the query as it changes.
  const deepQuery = await capturedListThreadsSql({
    projectId: tenant.projectId,
    limit: 20,
    cursor: { createdAt: deepRow!.created_at, id: deepRow!.id },
  });
  const plan = await db.$client.unsafe<{ 'QUERY PLAN': string }[]>(`explain (analyze, buffers) ${deepQuery.sql}`, deepQuery.params as never[]);
  const planText = plan.map((r) => r['QUERY PLAN']).join('\n');
  // The threads table must be read by a range scan of its (project_id, created_at, id) index, with no sort
  // (a join to a small table, e.g. categories, may scan that table).
  const indexScan =
    /Index (Only )?Scan (Backward )?using threads_project_created_idx on threads/.test(planText) &&
    !/(Seq|Bitmap Heap) Scan on threads|\bSort\b/.test(planText);
  console.log(`\nEXPLAIN (ANALYZE, BUFFERS) of the deep page (cursor at row ${int(depth)}):\n${planText}\n`);
  step(`deep page plan: ${indexScan ? 'index scan on threads_project_created_idx, no sort' : 'NOT an index range scan of threads_project_created_idx'}`);

  const headers = { 'x-api-key': tenant.key };
  const base = `/query/v1/projects/${tenant.projectId}/threads/?limit=20`;
  const targets: { name: string; target: Target; expectFirst: string; expectCount: number }[] = [
    { name: 'first page', target: { method: 'GET', path: base, headers }, expectFirst: newest!.id, expectCount: Math.min(20, size) },
    {
      name: `page ${int(depth)} rows deep`,
      target: { method: 'GET', path: `${base}&cursor=${cursor}`, headers },
      expectFirst: expectedDeep?.id ?? '',
      expectCount: Math.min(20, size - depth),
    },
  ];

  const server = await startApiServer({ databaseUrl: database.url });
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

  const results = [];
  for (const t of targets) {
    await loadTest(server.baseUrl, t.target, connections, warmup);
    await sequentialLatency(server.baseUrl, t.target, 1);
  }
  for (const t of targets) {
    await waitIdle(idleWait);
    const seq = await sequentialLatency(server.baseUrl, t.target, seqSeconds);
    const s = summarize(seq.latencies);
    step(`${t.name}, 1 conn: median ${ms(s.median)}, p99 ${ms(s.p99)}, ${int(seq.requestsPerSecond)} req/s (other processes ${cores(seq.cpu.other)} cores)`);
    results.push({ name: t.name, target: t.target, seq, s });
  }
  const rows = [];
  for (const r of results) {
    await waitIdle(idleWait);
    const load = await loadTest(server.baseUrl, r.target, connections, loadSeconds, server.pid);
    const l = summarize(load.latencies);
    step(`${r.name}, ${connections} conns: ${int(load.requestsPerSecond)} req/s, median ${ms(l.median)}, p99 ${ms(l.p99)} (other processes ${cores(load.cpu.other)} cores)`);
    rows.push({ ...r, load, l });
  }
  await server.stop();

  printResultsHeader('bench:threads', { pgVersion, code });
  console.log(`${int(size)} threads in the measured project, ${int(other)} in a second one; page size 20\n`);
  console.log(
    table(
      ['page', '1 conn median', '1 conn p99', '1 conn req/s', `${connections} conn req/s`, `${connections} conn median`, `${connections} conn p99`, 'server CPU/req', 'CPU bench / other'],
      rows.map((r) => [
        r.name, ms(r.s.median), ms(r.s.p99), int(r.seq.requestsPerSecond), int(r.load.requestsPerSecond), ms(r.l.median), ms(r.l.p99),
        ms(r.load.serverCpuPerRequestMs),
        `${cores(r.load.cpu.own)} / ${cores(Math.max(r.seq.cpu.other, r.load.cpu.other))}`,
      ]),
    ),
  );
  console.log(`\nTargets:\n`);
  console.log(
    table(
      ['target', 'measured', 'result'],
      [
        ...rows.map((r) => [`${r.name}: median <= 5 ms at 1 connection`, ms(r.s.median), passFail(r.s.median <= 5)]),
        ...rows.map((r) => [`${r.name}: >= 2,000 req/s at ${connections} connections`, `${int(r.load.requestsPerSecond)} req/s`, passFail(r.load.requestsPerSecond >= 2000)]),
        ['deep page query is an index scan', indexScan ? 'index scan, no sort' : 'no', passFail(indexScan)],
      ],
    ),
  );
  console.log(`\n(for comparison: the same row found with OFFSET ${int(depth - 1)} took ${ms(offsetMs)} in PostgreSQL alone)`);
  console.log(cpuColumnsNote(connections));
  warnIfDisturbed(Math.max(...rows.flatMap((r) => [r.seq.cpu.other, r.load.cpu.other])));
});
