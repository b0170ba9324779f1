// npm run bench:backfill -- [size=1000000] [--provider-size 20000] [--slow-size 40000] [--window 60]
// The backfill's targets: (1) labelled threads per second end to end with a latency-0 classifier, `size`
// seeded threads; (2) through a provider (MODEL_PROVIDER=openai against the tests' fake chat-completions
// server, 2 s a call, CLASSIFIER_BATCH_SIZE=20): threads per second and provider calls per thread; (3) with the
// 2 s classifier and CLASSIFIER_CONCURRENCY=1000, the steady rate as a
// share of the 500/s limit, and meanwhile the label lag of new threads and the chat latency against an
// idle system. Worker and API run as child processes, as in production.
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDb, closeDb } from '../src/db/client.js';
import { anyUnlabelled, labelLags, pacedChats, seedBacklog, unlabelled } from './lib/classification.js';
import { onCleanup, runMain } from './lib/cleanup.js';
import { describeCode } from './lib/code.js';
import { createTenant, migrate, openBenchDatabase } from './lib/database.js';
import { startApiServer, startWorker } from './lib/processes.js';
import { startFakeProvider } from '../test/fake-openai.js';
import { banner, int, ms, numberArg, passFail, percentile, step, summarize, table } from './lib/report.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { 'slow-size': { type: 'string' }, window: { type: 'string' }, 'provider-size': { type: 'string' } },
});

runMain(async () => {
  const size = numberArg(positionals[0], 1_000_000, 'size');
  const slowSize = numberArg(values['slow-size'], 40_000, 'slow-size');
  const windowSeconds = numberArg(values.window, 60, 'window');
  const providerSize = numberArg(values['provider-size'], 20_000, 'provider-size');
  const code = await describeCode();
  banner('bench:backfill', code.text, { size, slowSize, windowSeconds, providerSize });
  const database = await openBenchDatabase();
  await migrate(database.url);
  const db = createDb(database.url, { max: 4 });
  onCleanup('close bench pool', () => closeDb(db));
  const backlog = await createTenant(db, 'bench-backlog');
  const live = await createTenant(db, 'bench-live');

  // 1. Throughput of the pipeline itself: latency-0 classifier.
  step(`seeding ${int(size)} threads`);
  await seedBacklog(db, backlog.projectId, size);
  // From the worker's launch: its start-up is part of "end to end".
  const started = Date.now();
  const fast = await startWorker({
    databaseUrl: database.url,
    env: { CLASSIFIER_LATENCY_MS: '0', CLASSIFIER_CONCURRENCY: '1000' },
  });
  // Done is polled cheaply every 100 ms; the count (a scan of the backlog) only every 10 s, so that
  // measuring does not take CPU from what is measured.
  for (let lastCount = Date.now(); await anyUnlabelled(db, backlog.projectId); await sleep(100)) {
    if (Date.now() - lastCount < 10_000) continue;
    lastCount = Date.now();
    step(`latency 0: ${int(size - (await unlabelled(db, backlog.projectId)))} / ${int(size)} labelled`);
  }
  const fastSeconds = (Date.now() - started) / 1000;
  await fast.stop();

  // 2. Through a provider: the tests' fake chat-completions server, 2 s a call, 20 first questions a call.
  step(`seeding ${int(providerSize)} threads for the provider run`);
  const viaProvider = await createTenant(db, 'bench-provider');
  await seedBacklog(db, viaProvider.projectId, providerSize);
  const fake = await startFakeProvider({ latencyMs: 2000 });
  onCleanup('close the fake provider', fake.close);
  const providerStarted = Date.now();
  const providerWorker = await startWorker({
    databaseUrl: database.url,
    env: {
      MODEL_PROVIDER: 'openai',
      OPENAI_BASE_URL: fake.baseURL,
      CLASSIFIER_BATCH_SIZE: '20',
      CLASSIFIER_CONCURRENCY: '1000',
    },
  });
  while (await anyUnlabelled(db, viaProvider.projectId)) await sleep(100);
  const providerSeconds = (Date.now() - providerStarted) / 1000;
  await providerWorker.stop();
  const providerCalls = fake.requests.filter((r) => r.body.response_format).length;
  step(`provider: ${int(providerSize)} threads in ${providerSeconds.toFixed(1)} s, ${int(providerCalls)} calls`);

  // 3. The 2 s classifier at 1,000 in flight, with live traffic.
  step(`seeding ${int(slowSize)} more threads for the 2 s classifier`);
  await seedBacklog(db, backlog.projectId, slowSize);
  const api = await startApiServer({ databaseUrl: database.url });
  // The warm-up's threads get live jobs too: few enough (200) that the worker clears them in its first seconds.
  step('warming the API server up (200 chats in 5 s), then its latency on an idle system (a chat every 250 ms)');
  await pacedChats(api.baseUrl, live, 5, 25);
  const idle = await pacedChats(api.baseUrl, live, 20, 250);
  const slow = await startWorker({
    databaseUrl: database.url,
    env: { CLASSIFIER_LATENCY_MS: '2000', CLASSIFIER_CONCURRENCY: '1000' },
  });
  step('warming up: 15 s for the first thousand classifications to be in flight');
  await sleep(15_000);
  const before = await unlabelled(db, backlog.projectId);
  step(`measuring ${windowSeconds} s: backfill rate, new threads' lag, chat latency`);
  const during = await pacedChats(api.baseUrl, live, windowSeconds, 250);
  const after = await unlabelled(db, backlog.projectId);
  const rate = (before - after) / windowSeconds;
  const { lags, missing } = await labelLags(db, during.threadIds, 15);
  await slow.stop();
  await api.stop();

  const lag = lags.sort((a, b) => a - b);
  const idleChat = summarize(idle.latencies);
  const busyChat = summarize(during.latencies);
  console.log(
    `\n${table(
      ['measure', 'value', 'target'],
      [
        [
          'latency 0: threads labelled per second',
          `${int(size / fastSeconds)} (${int(size)} in ${fastSeconds.toFixed(1)} s)`,
          `>= 15,000: ${passFail(size / fastSeconds >= 15_000)}`,
        ],
        [
          'provider (fake, 2 s a call), CLASSIFIER_BATCH_SIZE=20: threads per second',
          `${int(providerSize / providerSeconds)} (${int(providerSize)} in ${providerSeconds.toFixed(1)} s)`,
          '',
        ],
        [
          '  provider calls per thread',
          (providerCalls / providerSize).toFixed(4),
          `<= 0.06: ${passFail(providerCalls / providerSize <= 0.06)}`,
        ],
        [
          '2 s classifier, 1,000 in flight: threads per second',
          `${rate.toFixed(1)} = ${((rate / 500) * 100).toFixed(1)}% of 500`,
          `>= 90%: ${passFail(rate / 500 >= 0.9)}`,
        ],
        ['  extrapolated to 1,000,000 threads', `${(1_000_000 / rate / 60).toFixed(1)} min`, '<= 37 min'],
        [
          'new threads during it: label lag p50 / p95',
          `${lag.length ? percentile(lag, 50).toFixed(2) : '-'} s / ${lag.length ? percentile(lag, 95).toFixed(2) : '-'} s (${missing} unlabelled)`,
          `p95 <= 2.5 s (1.25 × 2 s): ${passFail(missing === 0 && lag.length > 0 && percentile(lag, 95) <= 2.5)}`,
        ],
        ['chat median: idle / during backfill', `${ms(idleChat.median)} / ${ms(busyChat.median)}`, ''],
        ['  ratio', (busyChat.median / idleChat.median).toFixed(3), 'about 1'],
      ],
    )}`,
  );
});
