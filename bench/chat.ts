// npm run bench:chat -- [--rounds 4] [--warmup 3] [--seq 5] [--load 7] [--connections 32] [--wait-idle 0]
//
// POST /query/v1/projects/:id/chat with LLM_LATENCY_MS=0, every request a new question (a new thread).
// Each round is a fresh API server process on the same database, started with CATEGORISATION=off or on, in the
// order off,on,on,off,off,on,... (each mode gets the same average position, so drift such as the growing
// threads table cancels out). Per round: warm-up, then 1 connection (sequential, sub-ms timing), then
// `connections` connections (autocannon). The defaults take about 3 minutes (plus waiting, with --wait-idle N:
// before each measurement, wait up to N seconds for other processes on the machine to go quiet).
import { parseArgs } from 'node:util';
import { closeDb, createDb } from '../src/db/client.js';
import { onCleanup, runMain } from './lib/cleanup.js';
import { describeCode } from './lib/code.js';
import { waitIdle } from './lib/cpu.js';
import { createTenant, migrate, openBenchDatabase, serverVersion } from './lib/database.js';
import { loadTest, newQuestions, sequentialLatency, type Target } from './lib/http.js';
import { startApiServer } from './lib/processes.js';
import {
  banner, cores, cpuColumnsNote, int, ms, numberArg, passFail, printResultsHeader, step, summarize, table, warnIfDisturbed,
} from './lib/report.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string' },
    warmup: { type: 'string' },
    seq: { type: 'string' },
    load: { type: 'string' },
    connections: { type: 'string' },
    'wait-idle': { type: 'string' },
  },
});

const TEMPLATES = [
  'How do I configure %s?', 'Why does %s fail with a timeout?', 'How can I migrate %s to version 3?',
  'Where can I find the logs for %s?', 'Does %s support Windows?', 'How do I authenticate requests to %s?',
  'Can I run %s behind a corporate proxy?', 'Why is %s so slow on large projects?', 'How do I back up %s?',
  'What permissions does %s need?', 'How do I reset the cache of %s?', 'Is %s available on the free plan?',
];
const SUBJECTS = [
  'the CLI', 'the REST API', 'webhooks', 'the Docker image', 'the Python SDK', 'SSO', 'rate limiting',
  'the search index', 'backups', 'the scheduler', 'audit logs', 'the config file', 'TLS certificates',
];
const nextQuestion = newQuestions(TEMPLATES, SUBJECTS);

type Mode = 'off' | 'on';
interface Round {
  round: number;
  mode: Mode;
  seq: ReturnType<typeof summarize> & { rps: number };
  load: ReturnType<typeof summarize> & { rps: number };
  /** Cores used by other processes on the machine during the measurements (1 conn, N conns). */
  other: [number, number];
  /** Cores used by the benchmark's processes during the N-connection measurement. */
  own: number;
  /** CPU time of the API server process per request during the N-connection measurement, ms. */
  serverCpu: number;
  /** graphile-worker jobs queued at the end of the round. */
  jobs: number;
}

runMain(async () => {
  const roundsPerMode = numberArg(values.rounds, 4, 'rounds');
  const warmup = numberArg(values.warmup, 3, 'warmup');
  const seqSeconds = numberArg(values.seq, 5, 'seq');
  const loadSeconds = numberArg(values.load, 7, 'load');
  const connections = numberArg(values.connections, 32, 'connections');
  const idleWait = numberArg(values['wait-idle'], 0, 'wait-idle', true);
  const code = await describeCode();
  banner('bench:chat', code.text, { roundsPerMode, warmup, seq: seqSeconds, load: loadSeconds, connections, 'wait-idle': idleWait, LLM_LATENCY_MS: 0 });

  const database = await openBenchDatabase();
  step(`database: ${database.where}`);
  await migrate(database.url);
  const db = createDb(database.url, { max: 2 });
  onCleanup('close bench pool', () => closeDb(db));
  const pgVersion = await serverVersion(db);
  const tenant = await createTenant(db, 'bench-chat');

  const target: Target = {
    method: 'POST',
    path: `/query/v1/projects/${tenant.projectId}/chat`,
    headers: { 'x-api-key': tenant.key, 'content-type': 'application/json' },
    body: nextQuestion,
  };

  // off,on | on,off | off,on | ...: ABBA order.
  const order: Mode[] = [];
  for (let i = 0; i < roundsPerMode; i++) order.push(...(i % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)));

  const rounds: Round[] = [];
  const pooled: Record<Mode, { seq: number[]; load: number[]; rps: number[]; seqRps: number[] }> = {
    off: { seq: [], load: [], rps: [], seqRps: [] },
    on: { seq: [], load: [], rps: [], seqRps: [] },
  };
  // No worker runs during the benchmark (it would compete for the 2 cores), so with CATEGORISATION=on the
  // classification jobs of the new threads pile up. A worker keeps the queue short in production: each round
  // starts with an empty queue (graphile_worker.complete_jobs) and the table shows how long it grew.
  const queuedJobs = () =>
    db.$client<[{ n: number }]>`select count(*)::int as n from graphile_worker.jobs`.then(([r]) => r.n, () => NaN);
  const clearJobQueue = () =>
    db.$client`select graphile_worker.complete_jobs(array(select id from graphile_worker.jobs))`.catch(() => undefined);

  for (const [i, mode] of order.entries()) {
    await clearJobQueue();
    const server = await startApiServer({ databaseUrl: database.url, env: { CATEGORISATION: mode } });
    step(`round ${i + 1}/${order.length}: CATEGORISATION=${mode}, server pid ${server.pid}`);
    try {
      await loadTest(server.baseUrl, target, connections, warmup);
      await sequentialLatency(server.baseUrl, target, 1);
      await waitIdle(idleWait);
      const seq = await sequentialLatency(server.baseUrl, target, seqSeconds);
      await waitIdle(idleWait);
      const load = await loadTest(server.baseUrl, target, connections, loadSeconds, server.pid);
      const r: Round = {
        round: i + 1,
        mode,
        seq: { ...summarize(seq.latencies), rps: seq.requestsPerSecond },
        load: { ...summarize(load.latencies), rps: load.requestsPerSecond },
        other: [seq.cpu.other, load.cpu.other],
        own: load.cpu.own,
        serverCpu: load.serverCpuPerRequestMs,
        jobs: await queuedJobs(),
      };
      rounds.push(r);
      pooled[mode].seq.push(...seq.latencies);
      pooled[mode].load.push(...load.latencies);
      pooled[mode].rps.push(load.requestsPerSecond);
      pooled[mode].seqRps.push(seq.requestsPerSecond);
      step(
        `  1 conn: median ${ms(r.seq.median)}, p99 ${ms(r.seq.p99)}, ${int(r.seq.rps)} req/s | ` +
          `${connections} conns: ${int(r.load.rps)} req/s, median ${ms(r.load.median)}, p99 ${ms(r.load.p99)} | ` +
          `other processes ${cores(r.other[0])} / ${cores(r.other[1])} cores`,
      );
    } finally {
      await server.stop();
    }
  }

  const [{ threads }] = await db.$client<[{ threads: number }]>`select count(*)::int as threads from threads`;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const stats = (mode: Mode) => ({
    seq: summarize(pooled[mode].seq),
    seqRps: mean(pooled[mode].seqRps),
    load: summarize(pooled[mode].load),
    rps: mean(pooled[mode].rps),
    minRps: Math.min(...pooled[mode].rps),
    serverCpu: mean(rounds.filter((r) => r.mode === mode).map((r) => r.serverCpu)),
  });
  const off = stats('off');
  const on = stats('on');
  const ratio = on.seq.median / off.seq.median;

  printResultsHeader('bench:chat', { pgVersion, code });
  console.log(`threads created during the run: ${int(threads)}\n`);
  console.log('Per round (each a fresh server process):\n');
  console.log(
    table(
      ['round', 'CATEGORISATION', '1 conn median', '1 conn p99', '1 conn req/s', `${connections} conn req/s`, `${connections} conn median`, `${connections} conn p99`, 'server CPU/req', 'jobs queued', 'CPU bench / other'],
      rounds.map((r) => [
        String(r.round), r.mode, ms(r.seq.median), ms(r.seq.p99), int(r.seq.rps), int(r.load.rps), ms(r.load.median), ms(r.load.p99),
        ms(r.serverCpu), int(r.jobs), `${cores(r.own)} / ${cores(Math.max(...r.other))}`,
      ]),
    ),
  );
  console.log(`\nPer mode (latencies pooled over the rounds; req/s and server CPU the mean of the rounds, min req/s in brackets):\n`);
  console.log(
    table(
      ['CATEGORISATION', 'rounds', '1 conn median', '1 conn p99', '1 conn req/s', `${connections} conn req/s`, `${connections} conn median`, `${connections} conn p99`, 'server CPU/req'],
      (['off', 'on'] as const).map((mode) => {
        const s = mode === 'off' ? off : on;
        return [mode, String(roundsPerMode), ms(s.seq.median), ms(s.seq.p99), int(s.seqRps), `${int(s.rps)} (${int(s.minRps)})`, ms(s.load.median), ms(s.load.p99), ms(s.serverCpu)];
      }),
    ),
  );
  console.log(`\nTargets:\n`);
  const worstRps = Math.min(off.rps, on.rps);
  const worstMedian = Math.max(off.seq.median, on.seq.median);
  console.log(
    table(
      ['target', 'measured', 'result'],
      [
        [`>= 2,500 req/s at ${connections} connections`, `${int(worstRps)} req/s (lower of the two modes)`, passFail(worstRps >= 2500)],
        ['median <= 2 ms at 1 connection', `${ms(worstMedian)} (higher of the two modes)`, passFail(worstMedian <= 2)],
        ['median on / off <= 1.05 (1 connection)', `${ms(on.seq.median)} / ${ms(off.seq.median)} = ${ratio.toFixed(3)}`, passFail(ratio <= 1.05)],
      ],
    ),
  );
  console.log(`\n(${connections}-connection median on / off: ${(on.load.median / off.load.median).toFixed(3)})`);
  console.log(`\n${cpuColumnsNote(connections)}`);
  console.log(
    `jobs queued: graphile-worker jobs waiting at the end of the round; no worker runs during the benchmark and each ` +
      `round starts with an empty queue.`,
  );
  warnIfDisturbed(Math.max(...rounds.flatMap((r) => r.other)));
});
