// npm run backfill -- [--project <id>] [--once]
// Starts the labelling of existing threads at once (a sweep now, not at the next minute of the crontab) and
// watches it: a live progress bar (labelled / total, rate, ETA). The work itself is done by the workers
// (npm start, or npm run start:worker). --now is accepted, as before, and changes nothing.
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../config.js';
import { closeDb, createDb } from '../db/client.js';
import { openDevDatabaseOrExit } from '../db/dev-database.js';
import { migrateDatabase } from '../db/migrate.js';
import { kickSweep } from '../jobs/specs.js';
import { classificationProgress, type Progress } from '../db/queries/progress.js';
import { Uuid } from '../schemas/common.js';
import { check } from '../schemas/validation.js';

const { values } = parseArgs({
  options: { project: { type: 'string' }, now: { type: 'boolean' }, once: { type: 'boolean' } },
});
if (values.project !== undefined && !check(Uuid(), values.project).ok) {
  console.error('usage: npm run backfill -- [--project <project_id>] [--once]');
  process.exit(2);
}

const fmt = (n: number) => Math.round(n).toLocaleString('en');
const duration = (s: number) =>
  s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;

function progressLine(p: Progress, rate: number | null): string {
  const labelled = p.total - p.unlabelled;
  const share = p.total === 0 ? 1 : labelled / p.total;
  const width = 30;
  const bar = '#'.repeat(Math.round(share * width)).padEnd(width, '-');
  const waiting = p.unlabelled - p.parked;
  const eta = waiting === 0 ? 'done' : rate && rate > 0 ? `ETA ${duration(waiting / rate)}` : 'ETA -';
  const parked = p.parked > 0 ? `, ${fmt(p.parked)} parked (project without categories)` : '';
  return `[${bar}] ${fmt(labelled)} / ${fmt(p.total)} labelled (${(share * 100).toFixed(1)}%)  ${rate === null ? '-' : fmt(rate)}/s  ${eta}${parked}`;
}

const config = loadConfigOrExit();
const database = await openDevDatabaseOrExit(config);
const db = createDb(database.url, { max: 1 });
let stop = false;
process.on('SIGINT', () => (stop = true));
try {
  await migrateDatabase(database.url);
  await kickSweep(db);
  console.log('sweep requested: the workers enqueue the unlabelled threads now');
  // The rate is measured over the last 10 seconds of samples.
  const samples: { at: number; labelled: number }[] = [];
  let idleSince = Date.now();
  for (;;) {
    const p = await classificationProgress(db, { projectId: values.project });
    const now = Date.now();
    const labelled = p.total - p.unlabelled;
    samples.push({ at: now, labelled });
    while (samples.length > 1 && now - samples[0].at > 10_000) samples.shift();
    const first = samples[0];
    const rate = now > first.at ? ((labelled - first.labelled) * 1000) / (now - first.at) : null;
    if (rate) idleSince = now;
    const line = progressLine(p, rate);
    const done = p.unlabelled === p.parked;
    if (process.stdout.isTTY) process.stdout.write(`\r${line}\x1b[K`);
    else if (done || values.once || samples.length % 5 === 1) console.log(line);
    if (done || values.once || stop) break;
    if (now - idleSince > 15_000) {
      process.stdout.write('\nno progress for 15 s: is a worker running? (npm start, or npm run start:worker)\n');
      idleSince = now;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  if (process.stdout.isTTY) process.stdout.write('\n');
} finally {
  await closeDb(db);
  await database.release();
}
process.exit(0);
