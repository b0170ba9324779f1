// npm run bench:load -- [--threads 100000] [--connections 64] [--duration 20] [--warmup 3] [--llm-latency 200]
//
// Chat and the threads list together at a fixed concurrency for a bounded time: one project with `threads` seeded
// threads (labelled by the worker before the load starts), an API server (LLM_LATENCY_MS=llm-latency,
// CATEGORISATION=on) and a worker (CLASSIFIER_LATENCY_MS=0) that consumes the
// classification jobs the chats add. Two autocannon instances share the connections: POST .../chat with a new
// question each request, and GET .../threads/?limit=20 (first pages, pages at cursors, with and without
// category_source=classifier). Prints requests, req/s, p50/p99 and the errors, which are counted, not thrown:
// the exit code is 0 whenever the load ran.
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import { encodeCursor } from '../src/schemas/cursor.js';
import { anyUnlabelled, seedBacklog } from './lib/classification.js';
import { runMain } from './lib/cleanup.js';
import { describeCode } from './lib/code.js';
import { cpuProbe } from './lib/cpu.js';
import { benchDatabase, createTenant } from './lib/database.js';
import { autocannonRun, fetchOnce, newQuestions, type LoadRun } from './lib/http.js';
import { startApiServer, startWorker } from './lib/processes.js';
import { banner, cores, int, ms, numberArg, printResultsHeader, step, summarize, table } from './lib/report.js';

const args = process.argv.slice(2);
const { values } = parseArgs({
  args,
  options: {
    threads: { type: 'string' },
    connections: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    'llm-latency': { type: 'string' },
  },
});
const quote = (a: string) => (/^[\w./:=@%+-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`);
const command =
  process.env.npm_lifecycle_event === 'bench:load'
    ? `npm run bench:load${args.length ? ` -- ${args.map(quote).join(' ')}` : ''}`
    : `tsx bench/load.ts ${args.map(quote).join(' ')}`.trim();

const TEMPLATES = [
  'How do I configure %s?',
  'Why does %s fail with a timeout?',
  'Does %s support Windows?',
  'How do I back up %s?',
  'What permissions does %s need?',
];
const SUBJECTS = [
  'the CLI',
  'the REST API',
  'webhooks',
  'the Docker image',
  'SSO',
  'rate limiting',
  'the scheduler',
  'audit logs',
];
/** A new question every call (a new thread each chat), as bench/chat.ts does. */
const nextQuestion = newQuestions(TEMPLATES, SUBJECTS);

/** One endpoint's autocannon run; its errors (non-2xx, timeouts, connection errors) are counted, not thrown. */
interface Outcome extends LoadRun {
  name: string;
  connections: number;
}

const run = async (
  name: string,
  baseUrl: string,
  request: autocannon.Request,
  connections: number,
  seconds: number,
): Promise<Outcome> => ({
  name,
  connections,
  ...(await autocannonRun(baseUrl, request, connections, seconds)),
});

// autocannon counts timeouts among its errors.
const connErrors = (o: Outcome) => o.result.errors - o.result.timeouts;
const errorCount = (o: Outcome) => [...o.statuses.values()].reduce((a, b) => a + b, 0) + o.result.errors;
function errorDetail(o: Outcome): string {
  const statuses = [...o.statuses].sort(([a], [b]) => a - b).map(([s, n]) => `HTTP ${s} x ${int(n)}`);
  return [...statuses, `timeouts ${int(o.result.timeouts)}`, `connection errors ${int(connErrors(o))}`].join(', ');
}

runMain(async () => {
  const threads = Math.floor(numberArg(values.threads, 100_000, 'threads', true));
  const connections = Math.floor(numberArg(values.connections, 64, 'connections'));
  const duration = numberArg(values.duration, 20, 'duration');
  const warmup = numberArg(values.warmup, 3, 'warmup', true);
  const llmLatency = Math.floor(numberArg(values['llm-latency'], 200, 'llm-latency', true));
  if (connections < 2) throw new Error('--connections must be at least 2 (one per endpoint)');
  const chatConnections = Math.ceil(connections / 2);
  const listConnections = connections - chatConnections;

  console.log(`command: ${command}`);
  const code = await describeCode();
  banner('bench:load', code.text, {
    threads,
    connections: `${connections} (chat ${chatConnections}, threads list ${listConnections})`,
    duration,
    warmup,
    LLM_LATENCY_MS: llmLatency,
    CATEGORISATION: 'on',
    CLASSIFIER_LATENCY_MS: 0,
  });

  const { url: databaseUrl, db, pgVersion } = await benchDatabase(3);
  const tenant = await createTenant(db, 'bench-load');

  step(`seeding ${int(threads)} threads`);
  await seedBacklog(db, tenant.projectId, threads);
  const worker = await startWorker({ databaseUrl, env: { CATEGORISATION: 'on', CLASSIFIER_LATENCY_MS: '0' } });
  step(`worker pid ${worker.pid}: labelling the seeded threads before the load`);
  const labelStart = Date.now();
  while ((await anyUnlabelled(db, tenant.projectId)) && Date.now() - labelStart < 600_000) await sleep(500);
  step(
    `  ${(await anyUnlabelled(db, tenant.projectId)) ? 'NOT all labelled after 600 s, measuring anyway' : 'all labelled'} (${((Date.now() - labelStart) / 1000).toFixed(1)} s)`,
  );
  await db.execute(sql`vacuum analyze threads`);

  // 100 cursors at random depths, as a client paging through the list would send them.
  const cursorRows = await db.execute<{ created_at: string; id: string }>(sql`
    select created_at::text as created_at, id from threads where project_id = ${tenant.projectId} order by random() limit 100`);
  const base = `/query/v1/projects/${tenant.projectId}/threads/?limit=20`;
  const listPaths = [base, `${base}&category_source=classifier`];
  for (const r of cursorRows) {
    const cursor = `&cursor=${encodeCursor('threads', {}, { at: r.created_at, id: r.id })}`;
    listPaths.push(`${base}${cursor}`, `${base}&category_source=classifier${cursor}`, base);
  }
  let listNo = 0;
  const listRequest: autocannon.Request = {
    method: 'GET',
    path: base,
    headers: { 'x-api-key': tenant.key },
    setupRequest: (r) => ((r.path = listPaths[listNo++ % listPaths.length]!), r),
  };
  const chatRequest: autocannon.Request = {
    method: 'POST',
    path: `/query/v1/projects/${tenant.projectId}/chat`,
    headers: { 'x-api-key': tenant.key, 'content-type': 'application/json' },
    setupRequest: (r) => ((r.body = nextQuestion()), r),
  };

  const server = await startApiServer({
    databaseUrl,
    env: { LLM_LATENCY_MS: String(llmLatency), CATEGORISATION: 'on' },
  });
  step(`API server pid ${server.pid} at ${server.baseUrl}`);
  for (const [method, path] of [
    ['POST', chatRequest.path!],
    ['GET', listPaths[0]],
    ['GET', listPaths[2]],
    ['GET', listPaths[3]],
  ] as const) {
    const post = method === 'POST';
    const res = await fetchOnce(server.baseUrl, {
      method,
      path,
      headers: (post ? chatRequest : listRequest).headers!,
      body: post ? nextQuestion : undefined,
    });
    if (res.status !== 200)
      throw new Error(`sanity check ${method} ${path}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
  }

  const both = (seconds: number) =>
    Promise.all([
      run('POST .../chat', server.baseUrl, chatRequest, chatConnections, seconds),
      run('GET .../threads/?limit=20', server.baseUrl, listRequest, listConnections, seconds),
    ]);
  if (warmup > 0) {
    step(`warm-up: ${warmup} s`);
    await both(warmup);
  }
  const [{ before }] = await db.execute<{ before: number }>(
    sql`select count(*)::int as before from threads where project_id = ${tenant.projectId}`,
  );
  step(`measuring: ${duration} s at ${connections} connections`);
  const cpu = cpuProbe();
  const t0 = process.hrtime.bigint();
  const outcomes = await both(duration);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const use = cpu();
  await server.stop();

  const [counts] = await db.execute<{ created: number; jobs: number; unlabelled: number }>(sql`
    select (select count(*)::int from threads where project_id = ${tenant.projectId}) - ${before}::int as created,
           (select count(*)::int from graphile_worker.jobs) as jobs,
           (select count(*)::int from threads where project_id = ${tenant.projectId} and category_id is null) as unlabelled`);

  const row = (name: string, conns: number, latencies: number[], seconds: number, errors: number) => {
    const s = summarize(latencies);
    return [name, String(conns), int(s.n), int(s.n / seconds), ms(s.median), ms(s.p99), int(errors)];
  };
  const rows = outcomes.map((o) => row(o.name, o.connections, o.latencies, o.seconds, errorCount(o)));
  const total = outcomes.reduce((a, o) => a + errorCount(o), 0);
  rows.push(
    row(
      'total',
      connections,
      outcomes.flatMap((o) => o.latencies),
      wall,
      total,
    ),
  );

  printResultsHeader('bench:load', { pgVersion, code, command });
  console.log(
    `${int(threads)} seeded threads; ${duration} s measured after ${warmup} s of warm-up; LLM_LATENCY_MS=${llmLatency}\n`,
  );
  console.log(table(['endpoint', 'connections', 'requests (2xx)', 'req/s (2xx)', 'p50', 'p99', 'errors'], rows));
  console.log(`\nerrors: ${total === 0 ? 'none' : 'by kind:'}`);
  for (const o of outcomes) if (errorCount(o) > 0) console.log(`  ${o.name}: ${errorDetail(o)}`);
  console.log(
    `\np50/p99: nearest rank over every 2xx response, timed by autocannon (fractional ms); errors: non-2xx responses, ` +
      `timeouts (10 s) and connection errors.`,
  );
  console.log(
    `threads created during the measurement: ${int(counts.created)}; at the end: ${int(counts.jobs)} graphile-worker jobs queued, ${int(counts.unlabelled)} threads unlabelled`,
  );
  console.log(
    `CPU during the measurement: bench processes ${cores(use.own)} cores, other processes ${cores(use.other)} cores`,
  );
  if (use.other > 0.15)
    console.log(
      `WARNING: other processes used ${cores(use.other)} cores: the figures are disturbed, re-run on an idle machine.`,
    );
});
