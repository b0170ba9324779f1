// npm run bench:export -- [size=1000000]
//
// GET /query/v1/projects/:id/threads/export at `size` threads (labelled as after a backfill, 1 to 3
// question-answers each), as CSV and as NDJSON: the whole download through HTTP, its rows and bytes, and
// the API server's peak resident memory during it (sampled every 50 ms from /proc), against the target:
// 1,000,000 threads as CSV in ≤ 30 s, memory flat: the whole export's peak against that of an export of the
// last 36.5 days (a tenth of the seeded year), which must not exceed it by more than 64 MiB.
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { seedManyThreads } from '../src/db/queries/seed.js';
import { runMain } from './lib/cleanup.js';
import { describeCode } from './lib/code.js';
import { benchDatabase, createTenant } from './lib/database.js';
import { startApiServer } from './lib/processes.js';
import { labelAsAfterBackfill } from './lib/threads-list.js';
import { banner, int, numberArg, passFail, printResultsHeader, step, table } from './lib/report.js';

const { positionals } = parseArgs({ allowPositionals: true, options: {} });

/** Resident memory of a process in MiB, from /proc (Linux). */
const rssMiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

/** Downloads `url` to nowhere, counting lines and bytes, sampling the server's memory meanwhile. */
function download(url: string, key: string, serverPid: number) {
  return new Promise<{ seconds: number; bytes: number; lines: number; status: number; peakMiB: number }>(
    (resolve, reject) => {
      const started = process.hrtime.bigint();
      let peakMiB = rssMiB(serverPid);
      const sampler = setInterval(() => (peakMiB = Math.max(peakMiB, rssMiB(serverPid))), 50);
      const req = request(url, { headers: { 'x-api-key': key } }, (res) => {
        let bytes = 0;
        let lines = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
        });
        res.on('end', () => {
          clearInterval(sampler);
          resolve({
            seconds: Number(process.hrtime.bigint() - started) / 1e9,
            bytes,
            lines,
            status: res.statusCode ?? 0,
            peakMiB,
          });
        });
        res.on('error', reject);
      });
      req.on('error', (err) => {
        clearInterval(sampler);
        reject(err);
      });
      req.end();
    },
  );
}

runMain(async () => {
  const size = Math.floor(numberArg(positionals[0], 1_000_000, 'size'));
  const code = await describeCode();
  banner('bench:export', code.text, { size });

  const { url: databaseUrl, db, pgVersion } = await benchDatabase(3);
  const tenant = await createTenant(db, 'bench-export');
  step(`seeding ${int(size)} threads`);
  await seedManyThreads(db, { projectId: tenant.projectId, count: size });
  await labelAsAfterBackfill(db, tenant.projectId);
  await db.execute(sql`vacuum (analyze) threads, question_answers`);
  const [qas] = await db.execute<{ n: number }>(
    sql`select count(*)::int as n from question_answers where project_id = ${tenant.projectId}`,
  );

  const server = await startApiServer({ databaseUrl });
  step(`API server pid ${server.pid} at ${server.baseUrl}`);
  const base = `${server.baseUrl}/query/v1/projects/${tenant.projectId}/threads/export`;
  // A small export first: the server's code and statements are warm.
  await download(`${base}?created_after=${new Date(Date.now() - 86_400_000).toISOString()}`, tenant.key, server.pid);
  const tenth = `created_after=${new Date(Date.now() - 36.5 * 86_400_000).toISOString()}`;

  const rows: string[][] = [];
  const results: { format: string; seconds: number; rows: number; ok: boolean; smallPeak: number; peak: number }[] = [];
  for (const format of ['csv', 'ndjson']) {
    const small = await download(`${base}?format=${format}&${tenth}`, tenant.key, server.pid);
    const r = await download(`${base}?format=${format}`, tenant.key, server.pid);
    const count = (lines: number) => (format === 'csv' ? lines - 1 : lines); // the CSV header (the seed's questions hold no newline)
    step(
      `${format}: ${int(count(r.lines))} threads, ${int(r.bytes / 2 ** 20)} MiB in ${r.seconds.toFixed(1)} s (status ${r.status}); server peak RSS ${r.peakMiB.toFixed(0)} MiB (a tenth: ${small.peakMiB.toFixed(0)} MiB)`,
    );
    results.push({
      format,
      seconds: r.seconds,
      rows: count(r.lines),
      ok: r.status === 200 && count(r.lines) === size,
      smallPeak: small.peakMiB,
      peak: r.peakMiB,
    });
    rows.push([
      format,
      int(count(r.lines)),
      `${int(r.bytes / 2 ** 20)} MiB`,
      `${r.seconds.toFixed(1)} s`,
      int(count(r.lines) / r.seconds),
      `${small.peakMiB.toFixed(0)} MiB (${int(count(small.lines))} threads)`,
      `${r.peakMiB.toFixed(0)} MiB`,
    ]);
  }

  printResultsHeader('bench:export', { pgVersion, code });
  console.log(`${int(size)} threads with ${int(qas.n)} question-answers in one project.\n`);
  console.log(
    table(['format', 'threads', 'size', 'time', 'threads/s', 'server peak RSS, a tenth', 'server peak RSS, all'], rows),
  );
  console.log('\nTargets:\n');
  console.log(
    table(
      ['target', 'measured', 'result'],
      results.flatMap((r) => [
        [
          `${r.format}: every thread, ${int(size)} in <= 30 s`,
          `${int(r.rows)} in ${r.seconds.toFixed(1)} s`,
          passFail(r.ok && r.seconds <= 30),
        ],
        [
          `${r.format}: memory flat (peak within 64 MiB of a tenth's)`,
          `${r.peak.toFixed(0)} vs ${r.smallPeak.toFixed(0)} MiB`,
          passFail(r.peak - r.smallPeak <= 64),
        ],
      ]),
    ),
  );
});
