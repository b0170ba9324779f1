// npm run bench:purge -- [size=100000] [--baseline 10]
//
// Deleting a project of `size` threads (DELETE /admin/v1/projects/{id}) while another project chats: an API
// server and one worker as production runs them. Chats one at a time into the other project (LLM_LATENCY_MS=0),
// first for `baseline` seconds with no purge, then for as long as the purge runs: their latencies side by side
// (median, p99, max), and the purge's duration and rate.
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { seedManyThreads } from '../src/db/queries/seed.js';
import { runMain } from './lib/cleanup.js';
import { describeCode } from './lib/code.js';
import { benchDatabase, createTenant, type Tenant } from './lib/database.js';
import { fetchOnce } from './lib/http.js';
import { startApiServer, startWorker } from './lib/processes.js';
import { labelAsAfterBackfill } from './lib/threads-list.js';
import { banner, int, ms, numberArg, printResultsHeader, step, summarize, table } from './lib/report.js';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { baseline: { type: 'string' } } });
const ADMIN_TOKEN = 'bench-purge-admin-token-0123456789';

/** New-thread chats one at a time into `tenant` until `until()` is true: each one's latency in ms. */
async function chatsUntil(baseUrl: string, tenant: Tenant, until: () => boolean): Promise<number[]> {
  const latencies: number[] = [];
  for (let n = 0; !until(); n++) {
    const started = process.hrtime.bigint();
    const res = await fetchOnce(baseUrl, {
      method: 'POST',
      path: `/query/v1/projects/${tenant.projectId}/chat`,
      headers: { 'x-api-key': tenant.key, 'content-type': 'application/json' },
      body: () => JSON.stringify({ question: `How do I rotate the keys of service ${n}?` }),
    });
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (res.status !== 200) throw new Error(`chat answered ${res.status}: ${res.body}`);
  }
  return latencies;
}

runMain(async () => {
  const size = Math.floor(numberArg(positionals[0], 100_000, 'size'));
  const baselineSeconds = numberArg(values.baseline, 10, 'baseline');
  const code = await describeCode();
  banner('bench:purge', code.text, { size, baseline: `${baselineSeconds} s` });

  const { url: databaseUrl, db, pgVersion } = await benchDatabase(2);
  const doomed = await createTenant(db, 'bench-purge-deleted');
  const live = await createTenant(db, 'bench-purge-live');
  step(`seeding ${int(size)} labelled threads into the project to delete`);
  await seedManyThreads(db, { projectId: doomed.projectId, count: size });
  await labelAsAfterBackfill(db, doomed.projectId);
  await db.execute(sql`vacuum (analyze) threads, question_answers`);

  const api = await startApiServer({ databaseUrl, env: { ADMIN_TOKEN } });
  await startWorker({ databaseUrl });
  step(`baseline: chats into the other project for ${baselineSeconds} s`);
  const baselineEnd = Date.now() + baselineSeconds * 1000;
  const baseline = await chatsUntil(api.baseUrl, live, () => Date.now() > baselineEnd);

  step('deleting the project; chats into the other project until its purge has finished');
  const started = Date.now();
  const deleted = await fetchOnce(api.baseUrl, {
    method: 'DELETE',
    path: `/admin/v1/projects/${doomed.projectId}`,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  if (deleted.status !== 204) throw new Error(`delete answered ${deleted.status}: ${deleted.body}`);
  const answeredAfter = Date.now() - started;
  let gone = false;
  const watching = (async () => {
    while (!gone) {
      const [row] = await db.execute<{ n: number }>(
        sql`select count(*)::int as n from projects where id = ${doomed.projectId}`,
      );
      gone = row.n === 0;
      if (!gone) await sleep(100);
    }
  })();
  const during = await chatsUntil(api.baseUrl, live, () => gone);
  await watching;
  const seconds = (Date.now() - started) / 1000;
  const [left] = await db.execute<{ n: number }>(
    sql`select count(*)::int as n from threads where project_id = ${doomed.projectId}`,
  );

  printResultsHeader('bench:purge', { pgVersion, code });
  console.log('One API server, one worker; chats one at a time into another project, LLM_LATENCY_MS=0.\n');
  const b = summarize(baseline);
  const d = summarize(during);
  console.log(
    table(
      ['chats into another project', 'n', 'median', 'p99', 'max'],
      [
        ['no purge (baseline)', int(baseline.length), ms(b.median), ms(b.p99), ms(Math.max(...baseline))],
        ['while the purge runs', int(during.length), ms(d.median), ms(d.p99), ms(Math.max(...during))],
      ],
    ),
  );
  console.log();
  console.log(
    table(
      ['measure', 'value'],
      [
        ['DELETE answered in', `${int(answeredAfter)} ms`],
        [
          'purge of the project (threads, question-answers, categories, row)',
          `${seconds.toFixed(1)} s, ${int(size / seconds)} threads/s`,
        ],
        ['threads of the project left', int(left.n)],
      ],
    ),
  );
});
