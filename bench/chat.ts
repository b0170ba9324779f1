// npm run bench:chat -- [--rounds 3] [--seq 8] [--load 7] [--slow 15] [--queued 100000] [--wait-idle 0]
//                       [--source postgresql|none]
//
// Does categorisation slow the chat endpoint? POST /query/v1/projects/:id/chat, every request a new
// question (a new thread), against the API server process alone (no worker: the jobs queue up), with
// CATEGORISATION=off and =on side by side, each round a fresh server, in ABBA order (off,on,on,off,...) so drift
// falls on both modes alike:
//   1. LLM_LATENCY_MS=0, empty job queue: 1 connection (sub-ms timing; an off and an on server side by side,
//      one request to each in turn), then 32 connections (autocannon);
//   2. LLM_LATENCY_MS=0 with `queued` jobs already queued (a worker outage): 1 connection, side by side;
//   3. LLM_LATENCY_MS=1000 (a realistic model), 256 connections: throughput, median, p99;
//   4. the machine's NOTIFY ceiling: one-row inserts at 32 connections, with and without pg_notify.
// Phases 1 and 2 also time the chat's write alone (no HTTP), without and with its job.
// The project has a knowledge source searched on each question: PostgreSQL 15's HTML manual (1,167 pages, Debian's
// postgresql-doc-15), crawled first by a worker that then stops; --source none measures a project without one.
// The defaults take about 6 minutes.
import { parseArgs } from 'node:util';
import { closeDb, createDb, type Db } from '../src/db/client.js';
import { createThreads } from '../src/db/queries/chat-write.js';
import { onCleanup, runMain } from './lib/cleanup.js';
import { describeCode } from './lib/code.js';
import { waitIdle } from './lib/cpu.js';
import { benchDatabase, createTenant } from './lib/database.js';
import { MANUALS, manual, serveSite } from './lib/docs-site.js';
import { ingest } from './lib/ingest.js';
import { interleavedLatency, loadTest, newQuestions, type Target } from './lib/http.js';
import { notifyCeiling } from './lib/notify.js';
import { startApiServer, startWorker } from './lib/processes.js';
import {
  banner,
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

const { values } = parseArgs({
  options: Object.fromEntries(
    ['rounds', 'seq', 'load', 'slow', 'queued', 'wait-idle', 'source'].map((o) => [o, { type: 'string' }]),
  ),
});

const nextQuestion = newQuestions(
  [
    'How do I configure %s?',
    'Why does %s fail with a timeout?',
    'How can I migrate %s to version 3?',
    'Where can I find the logs for %s?',
    'Does %s support Windows?',
    'How do I authenticate requests to %s?',
    'Can I run %s behind a corporate proxy?',
    'How do I back up %s?',
  ],
  [
    'the CLI',
    'the REST API',
    'webhooks',
    'the Docker image',
    'the Python SDK',
    'SSO',
    'rate limiting',
    'the search index',
    'backups',
  ],
);

type Mode = 'off' | 'on';
const MODES: Mode[] = ['off', 'on'];
/** off,on | on,off | off,on | ...: each mode gets the same average position. */
const abba = (rounds: number): Mode[] =>
  Array.from({ length: rounds }, (_, i) => (i % 2 === 0 ? MODES : [...MODES].reverse())).flat();
const pooled = () => ({ off: [] as number[], on: [] as number[] });
const rps = () => ({ off: [] as number[], on: [] as number[] });
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** A project whose source is PostgreSQL's manual, crawled by a worker and an API server that then stop. */
async function withManual(databaseUrl: string, db: Db) {
  const site = await serveSite(manual(MANUALS.postgresql));
  const env = { SOURCES_ALLOW_PRIVATE: 'true' };
  const [api, worker] = await Promise.all([startApiServer({ databaseUrl, env }), startWorker({ databaseUrl, env })]);
  try {
    const { tenant, pages, chunks } = await ingest(db, api.baseUrl, 'bench-chat', site.baseUrl);
    step(`the project's source: ${int(pages)} pages, ${int(chunks)} chunks`);
    return tenant;
  } finally {
    await Promise.all([api.stop(), worker.stop()]);
  }
}

runMain(async () => {
  const rounds = numberArg(values.rounds, 3, 'rounds');
  const seqSeconds = numberArg(values.seq, 8, 'seq');
  const loadSeconds = numberArg(values.load, 7, 'load');
  const slowSeconds = numberArg(values.slow, 15, 'slow');
  const queued = Math.floor(numberArg(values.queued, 100_000, 'queued'));
  const idleWait = numberArg(values['wait-idle'], 0, 'wait-idle', true);
  const source = values.source ?? 'postgresql';
  if (source !== 'postgresql' && source !== 'none') throw new Error('--source: postgresql or none');
  const code = await describeCode();
  banner('bench:chat', code.text, {
    rounds,
    seq: seqSeconds,
    load: loadSeconds,
    slow: slowSeconds,
    queued,
    'wait-idle': idleWait,
    source,
  });

  const { url: databaseUrl, db, pgVersion } = await benchDatabase(2);
  const tenant = source === 'none' ? await createTenant(db, 'bench-chat') : await withManual(databaseUrl, db);
  const target: Target = {
    method: 'POST',
    path: `/query/v1/projects/${tenant.projectId}/chat`,
    headers: { 'x-api-key': tenant.key, 'content-type': 'application/json' },
    body: nextQuestion,
  };
  const jobCount = async () =>
    (await db.$client<[{ n: number }]>`select count(*)::int as n from graphile_worker.jobs`)[0].n;
  const clearJobs = () => db.$client`delete from graphile_worker._private_jobs`;
  // The chat's own jobs (keyed by thread), to leave a pre-filled queue as it was.
  const clearChatJobs = () =>
    db.$client`delete from graphile_worker._private_jobs where key like 'threads__classify:%'`;
  const busiest: number[] = [];
  const withServer = async (mode: Mode, llmMs: number, measure: (baseUrl: string, pid: number) => Promise<void>) => {
    const server = await startApiServer({ databaseUrl, env: { CATEGORISATION: mode, LLM_LATENCY_MS: String(llmMs) } });
    try {
      await measure(server.baseUrl, server.pid);
    } finally {
      await server.stop();
    }
  };

  // Both modes at once, one request at a time in turn (interleavedLatency): drift falls on both alike.
  const withBothServers = async (measure: (urls: string[]) => Promise<void>) => {
    const servers = await Promise.all(
      MODES.map((mode) => startApiServer({ databaseUrl, env: { CATEGORISATION: mode, LLM_LATENCY_MS: '0' } })),
    );
    try {
      await measure(servers.map((server) => server.baseUrl));
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
    }
  };
  const pairedRound = async (into: ReturnType<typeof pooled>) => {
    let medians = '';
    await withBothServers(async (urls) => {
      await interleavedLatency(urls, target, 1);
      await waitIdle(idleWait);
      const { latencies, cpu } = await interleavedLatency(urls, target, seqSeconds);
      MODES.forEach((mode, m) => into[mode].push(...latencies[m]));
      busiest.push(cpu.other);
      medians = MODES.map((mode, m) => `${mode} ${ms(summarize(latencies[m]).median)}`).join(', ');
    });
    return medians;
  };

  // The chat's write alone (createThreads, what the API runs), without and with its job, in turn on one
  // connection of this process: the database's share of on − off, free of HTTP and of the servers.
  const statementDb = createDb(databaseUrl, { max: 1 });
  onCleanup('close statement pool', () => closeDb(statementDb));
  const statementRound = async (seconds: number) => {
    const times = pooled();
    const usage = { model: 'stand-in', promptTokens: 0, completionTokens: 0, latencyMs: 0 };
    const item = () => ({ projectId: tenant.projectId, question: nextQuestion(), answer: 'An answer.', usage });
    const end = Date.now() + seconds * 1000;
    for (let turn = 0; Date.now() < end; turn++) {
      for (const mode of turn % 2 === 0 ? MODES : [...MODES].reverse()) {
        const t0 = process.hrtime.bigint();
        await createThreads(statementDb, [item()], mode === 'on' ? 300 : null);
        times[mode].push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }
    return { off: summarize(times.off), on: summarize(times.on) };
  };

  // 1. LLM_LATENCY_MS=0, empty queue: 1 connection to each mode in turn, then 32 connections to each in turn.
  const seq = pooled();
  for (let i = 0; i < rounds; i++) {
    await clearJobs();
    step(`1. round ${i + 1}, 1 conn: median ${await pairedRound(seq)}`);
  }
  await clearJobs();
  await statementRound(1);
  const s0 = await statementRound(seqSeconds);
  step(`1. the statement alone: median off ${ms(s0.off.median)}, on ${ms(s0.on.median)}`);
  const fast = rps();
  for (const [i, mode] of abba(rounds).entries()) {
    await clearJobs();
    await withServer(mode, 0, async (url, pid) => {
      await loadTest(url, target, 32, 2);
      await waitIdle(idleWait);
      const many = await loadTest(url, target, 32, loadSeconds, pid);
      fast[mode].push(many.requestsPerSecond);
      busiest.push(many.cpu.other);
      step(
        `1. round ${i + 1} ${mode}, 32 conns: ${int(many.requestsPerSecond)} req/s (server CPU ${ms(many.serverCpuPerRequestMs)}/req)`,
      );
    });
  }

  // 2. LLM_LATENCY_MS=0, `queued` jobs already queued: 1 connection to each mode in turn.
  await clearJobs();
  await db.$client`select graphile_worker.add_jobs(array(
    select ('threads__classify', json_build_object('project_id', ${tenant.projectId}::uuid, 'thread_ids', json_build_array(gen_random_uuid())),
            null, now() + interval '1 day', 5, null, 0, null)::graphile_worker.job_spec
    from generate_series(1, ${queued})))`;
  await db.$client`vacuum analyze graphile_worker._private_jobs`;
  const backlog = pooled();
  for (let i = 0; i < rounds; i++) {
    const medians = await pairedRound(backlog);
    step(`2. round ${i + 1}, ${int(await jobCount())} jobs queued, 1 conn: median ${medians}`);
    await clearChatJobs();
  }
  const sq = await statementRound(seqSeconds);
  step(`2. the statement alone: median off ${ms(sq.off.median)}, on ${ms(sq.on.median)}`);
  await clearChatJobs();

  // 3. LLM_LATENCY_MS=1000, 256 connections.
  await clearJobs();
  const slow = pooled();
  const slowRps = rps();
  for (const [i, mode] of abba(rounds).entries()) {
    await withServer(mode, 1000, async (url) => {
      await loadTest(url, target, 256, 3);
      await waitIdle(idleWait);
      const many = await loadTest(url, target, 256, slowSeconds);
      slow[mode].push(...many.latencies);
      slowRps[mode].push(many.requestsPerSecond);
      busiest.push(many.cpu.other);
      const s = summarize(many.latencies);
      step(`3. round ${i + 1} ${mode}: ${int(many.requestsPerSecond)} req/s, median ${ms(s.median)}, p99 ${ms(s.p99)}`);
    });
  }

  // 4. The NOTIFY ceiling of this machine.
  await clearJobs();
  step('4. NOTIFY ceiling: one-row inserts at 32 connections, with and without pg_notify');
  const ceiling = await notifyCeiling(databaseUrl, { connections: 32, seconds: 5, rounds: 2 });

  const s1 = { off: summarize(seq.off), on: summarize(seq.on) };
  const s2 = { off: summarize(backlog.off), on: summarize(backlog.on) };
  const s3 = { off: summarize(slow.off), on: summarize(slow.on) };
  const r1 = { off: mean(fast.off), on: mean(fast.on) };
  const r3 = { off: mean(slowRps.off), on: mean(slowRps.on) };
  printResultsHeader('bench:chat', { pgVersion, code });
  console.log(
    `The project's knowledge source, searched on each question: ${source === 'none' ? 'none' : "PostgreSQL 15's manual"}.\n` +
      `${rounds} rounds per mode and phase; 1 conn: both modes side by side, a request to each in turn; otherwise ABBA order. Latencies pooled over the rounds, req/s the mean of the rounds.\n`,
  );
  console.log(
    table(
      ['phase', 'measure', 'off', 'on', 'on − off / on ÷ off'],
      [
        ['LLM 0, empty queue', '1 conn median', ms(s1.off.median), ms(s1.on.median), ms(s1.on.median - s1.off.median)],
        ['', '1 conn p99', ms(s1.off.p99), ms(s1.on.p99), ''],
        ['', '32 conns req/s', int(r1.off), int(r1.on), (r1.on / r1.off).toFixed(3)],
        ['', 'its write alone, median', ms(s0.off.median), ms(s0.on.median), ms(s0.on.median - s0.off.median)],
        [
          `LLM 0, ${int(queued)} jobs queued`,
          '1 conn median',
          ms(s2.off.median),
          ms(s2.on.median),
          ms(s2.on.median - s2.off.median),
        ],
        ['', 'its write alone, median', ms(sq.off.median), ms(sq.on.median), ms(sq.on.median - sq.off.median)],
        ['LLM 1000, 256 conns', 'req/s', int(r3.off), int(r3.on), (r3.on / r3.off).toFixed(3)],
        ['', 'median', ms(s3.off.median), ms(s3.on.median), (s3.on.median / s3.off.median).toFixed(3)],
        ['', 'p99', ms(s3.off.p99), ms(s3.on.p99), (s3.on.p99 / s3.off.p99).toFixed(3)],
      ],
    ),
  );
  console.log(
    `\nNOTIFY ceiling of this machine (32 connections, one-row insert per commit): ${int(ceiling.plain)} commits/s plain, ` +
      `${int(ceiling.notifying)} commits/s with pg_notify. Chats with categorisation on: ${int(r1.on)}/s ` +
      `(${(r1.on / ceiling.notifying).toFixed(2)} × the notifying ceiling: the chat's new threads are group-committed). ` +
      `One such commit at 1 connection: ${ms(ceiling.oneCommitMs)} median (the WAL flush under every chat).\n`,
  );
  console.log(
    table(
      ['target', 'measured', 'result'],
      [
        [
          'LLM 1000, 256 conns: on ÷ off throughput >= 0.98',
          (r3.on / r3.off).toFixed(3),
          passFail(r3.on / r3.off >= 0.98),
        ],
        [
          'LLM 1000, 256 conns: on ÷ off median <= 1.01',
          (s3.on.median / s3.off.median).toFixed(3),
          passFail(s3.on.median / s3.off.median <= 1.01),
        ],
        [
          'LLM 1000, 256 conns: on ÷ off p99 <= 1.05',
          (s3.on.p99 / s3.off.p99).toFixed(3),
          passFail(s3.on.p99 / s3.off.p99 <= 1.05),
        ],
        [
          'LLM 0, 1 conn: on − off median <= 0.3 ms, empty queue',
          ms(s1.on.median - s1.off.median),
          passFail(s1.on.median - s1.off.median <= 0.3),
        ],
        [
          `LLM 0, 1 conn: on − off median <= 0.3 ms, ${int(queued)} queued`,
          ms(s2.on.median - s2.off.median),
          passFail(s2.on.median - s2.off.median <= 0.3),
        ],
        ['LLM 0, 32 conns: off >= 2,500 req/s', int(r1.off), passFail(r1.off >= 2500)],
        ['LLM 0, 32 conns: on >= 1,500 req/s', int(r1.on), passFail(r1.on >= 1500)],
        [
          'LLM 0, 1 conn: median <= 2 ms',
          ms(Math.max(s1.off.median, s1.on.median)),
          passFail(Math.max(s1.off.median, s1.on.median) <= 2),
        ],
      ],
    ),
  );
  warnIfDisturbed(Math.max(...busiest));
});
