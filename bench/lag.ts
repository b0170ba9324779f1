// npm run bench:lag -- [seconds=60] [--every 250]
// The time from a chat's answer to its stored label, with the default 2 s classifier: an API
// server and a worker as production runs them, new threads at a steady pace, lags read from PostgreSQL.
import { parseArgs } from 'node:util';
import { createDb, closeDb } from '../src/db/client.js';
import { labelLags, pacedChats } from './lib/classification.js';
import { onCleanup, runMain } from './lib/cleanup.js';
import { describeCode } from './lib/code.js';
import { createTenant, migrate, openBenchDatabase } from './lib/database.js';
import { startApiServer, startWorker } from './lib/processes.js';
import { banner, numberArg, percentile, step, table } from './lib/report.js';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { every: { type: 'string' } } });

runMain(async () => {
  const seconds = numberArg(positionals[0], 60, 'seconds');
  const everyMs = numberArg(values.every, 250, 'every');
  const code = await describeCode();
  banner('bench:lag', code.text, { seconds, everyMs, CLASSIFIER_LATENCY_MS: 2000, CLASSIFIER_CONCURRENCY: 100 });
  const database = await openBenchDatabase();
  await migrate(database.url);
  const db = createDb(database.url, { max: 2 });
  onCleanup('close bench pool', () => closeDb(db));
  const tenant = await createTenant(db, 'bench-lag');

  const api = await startApiServer({ databaseUrl: database.url });
  await startWorker({
    databaseUrl: database.url,
    env: { CLASSIFIER_LATENCY_MS: '2000', CLASSIFIER_CONCURRENCY: '100' },
  });
  step(`chatting every ${everyMs} ms for ${seconds} s`);
  const { threadIds } = await pacedChats(api.baseUrl, tenant, seconds, everyMs);
  const { lags, missing } = await labelLags(db, threadIds, 20);
  const sorted = lags.sort((a, b) => a - b);
  const s = (x: number) => `${x.toFixed(3)} s`;
  console.log(
    `\n${table(
      ['threads', 'labelled', 'lag p50', 'lag p95', 'lag max', 'p95 / classifier latency', 'target'],
      [
        [
          String(threadIds.length),
          String(lags.length),
          s(percentile(sorted, 50)),
          s(percentile(sorted, 95)),
          s(sorted.at(-1) ?? NaN),
          (percentile(sorted, 95) / 2).toFixed(2),
          'p95 close to 2 s',
        ],
      ],
    )}`,
  );
  if (missing > 0) throw new Error(`${missing} threads were not labelled within 20 s of the last chat`);
});
