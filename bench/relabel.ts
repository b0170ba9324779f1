// npm run bench:relabel -- [size=100000] [--latency 2000] [--concurrency 1000]
//
// A relabel run of `size` classifier-labelled threads after a new category, through the HTTP API,
// an API server and one worker as production runs them (the stand-in classifier at `latency` ms a call,
// `concurrency` calls in flight): the run's rate from its start to "done", and meanwhile the label lag of new
// threads (a chat every 250 ms into another project) and their chat latency.
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { seedManyThreads } from '../src/db/queries/seed.js';
import { labelLags, pacedChats } from './lib/classification.js';
import { runMain } from './lib/cleanup.js';
import { describeCode } from './lib/code.js';
import { benchDatabase, createTenant } from './lib/database.js';
import { fetchOnce } from './lib/http.js';
import { startApiServer, startWorker } from './lib/processes.js';
import { labelAsAfterBackfill } from './lib/threads-list.js';
import { banner, int, ms, numberArg, percentile, printResultsHeader, step, table } from './lib/report.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { latency: { type: 'string' }, concurrency: { type: 'string' } },
});

runMain(async () => {
  const size = Math.floor(numberArg(positionals[0], 100_000, 'size'));
  const latency = numberArg(values.latency, 2000, 'latency', true);
  const concurrency = numberArg(values.concurrency, 1000, 'concurrency');
  const code = await describeCode();
  banner('bench:relabel', code.text, { size, latency, concurrency });

  const { url: databaseUrl, db, pgVersion } = await benchDatabase(2);
  const history = await createTenant(db, 'bench-relabel');
  const live = await createTenant(db, 'bench-relabel-live');
  step(`seeding ${int(size)} threads, labelled by the classifier`);
  await seedManyThreads(db, { projectId: history.projectId, count: size });
  await labelAsAfterBackfill(db, history.projectId);
  await db.execute(
    sql`insert into categories (project_id, name, description) values (${history.projectId}, 'Careers', 'jobs hiring openings at the company')`,
  );
  await db.execute(sql`vacuum (analyze) threads`);

  const env = { CLASSIFIER_LATENCY_MS: String(latency), CLASSIFIER_CONCURRENCY: String(concurrency) };
  const api = await startApiServer({ databaseUrl, env });
  await startWorker({ databaseUrl, env });
  const call = (method: 'GET' | 'POST', path: string, body?: object) =>
    fetchOnce(api.baseUrl, {
      method,
      path: `/query/v1/projects/${history.projectId}${path}`,
      headers: { 'x-api-key': history.key, 'content-type': 'application/json' },
      body: body ? () => JSON.stringify(body) : undefined,
    });
  type Preview = { sampled: number; would_change: number; estimate: { provider_calls: number; seconds: number } };
  const preview = JSON.parse((await call('POST', '/categories/relabel/preview', { sample: 200 })).body) as Preview;
  step(
    `preview: ${preview.would_change} of ${preview.sampled} would change; estimate ${JSON.stringify(preview.estimate)}`,
  );

  const started = Date.now();
  const run = await call('POST', '/categories/relabel', {});
  if (run.status !== 202) throw new Error(`relabel answered ${run.status}: ${run.body}`);
  step('relabelling; a chat every 250 ms into another project meanwhile');
  let finished = false;
  let last = JSON.parse(run.body) as { status: string; done: number; total: number };
  const chats: Awaited<ReturnType<typeof pacedChats>>[] = [];
  const chatting = (async () => {
    while (!finished) chats.push(await pacedChats(api.baseUrl, live, 5, 250));
  })();
  while (last.status === 'running') {
    await sleep(1000);
    last = JSON.parse((await call('GET', '/categories/relabel')).body) as typeof last;
    if (Math.round((Date.now() - started) / 1000) % 10 === 0) step(`${int(last.done)} / ${int(last.total)}`);
  }
  const seconds = (Date.now() - started) / 1000;
  finished = true;
  await chatting;
  if (last.status !== 'done') throw new Error(`the run ended ${last.status}`);
  const threadIds = chats.flatMap((c) => c.threadIds);
  const { lags, missing } = await labelLags(db, threadIds, 15);
  const sortedLags = lags.sort((a, b) => a - b);
  const chatLatencies = chats.flatMap((c) => c.latencies).sort((a, b) => a - b);
  const [changed] = await db.execute<{ n: number }>(sql`
    select count(*)::int as n from threads t join categories c on c.id = t.category_id where t.project_id = ${history.projectId} and c.name = 'Careers'`);

  printResultsHeader('bench:relabel', { pgVersion, code });
  console.log(
    `One API server, one worker; stand-in classifier at ${latency} ms a call, CLASSIFIER_CONCURRENCY=${concurrency}.\n`,
  );
  console.log(
    table(
      ['measure', 'value'],
      [
        ['threads relabelled', `${int(last.total)} (${int(changed.n)} moved to the new category)`],
        ['time, start to done (progress polled every second)', `${seconds.toFixed(1)} s`],
        ['threads per second', int(last.total / seconds)],
        ['preview estimate', `${int(preview.estimate.provider_calls)} calls, ${preview.estimate.seconds} s`],
        [
          'new threads meanwhile: label lag p50 / p95',
          `${sortedLags.length ? percentile(sortedLags, 50).toFixed(2) : '-'} s / ${sortedLags.length ? percentile(sortedLags, 95).toFixed(2) : '-'} s (${threadIds.length} threads, ${missing} unlabelled)`,
        ],
        ['their chat latency p50 / p95', `${ms(percentile(chatLatencies, 50))} / ${ms(percentile(chatLatencies, 95))}`],
      ],
    ),
  );
});
