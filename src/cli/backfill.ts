// npm run backfill -- [--project <id>] [--once]
// Starts the labelling of existing threads at once (a sweep now, not at the next minute of the crontab) and
// watches it: a live progress bar (labelled / total, rate, ETA). The work itself is done by the workers
// (npm start, or npm run start:worker). --now is accepted, as before, and changes nothing.
import { parseArgs } from 'node:util';
import { migrateDatabase } from '../db/migrate.js';
import { classificationProgress, type Progress } from '../db/queries/progress.js';
import { kickSweep } from '../jobs/specs.js';
import { Uuid } from '../schemas/common.js';
import { check } from '../schemas/validation.js';
import { openCliDatabase, runAsCommand, type CliIo } from './io.js';

const USAGE = 'usage: npm run backfill -- [--project <project_id>] [--once]';
const POLL_MS = 1000;
// The rate is measured over the samples of this last stretch.
const RATE_WINDOW_MS = 10_000;
const IDLE_WARNING_MS = 15_000;

const fmt = (n: number) => Math.round(n).toLocaleString('en');
const duration = (s: number) =>
  s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;

export function progressLine(p: Progress, rate: number | null): string {
  const labelled = p.total - p.unlabelled;
  const share = p.total === 0 ? 1 : labelled / p.total;
  const width = 30;
  const bar = '#'.repeat(Math.round(share * width)).padEnd(width, '-');
  const waiting = p.unlabelled - p.parked;
  const eta = waiting === 0 ? 'done' : rate && rate > 0 ? `ETA ${duration(waiting / rate)}` : 'ETA -';
  const parked = p.parked > 0 ? `, ${fmt(p.parked)} parked (project without categories)` : '';
  return `[${bar}] ${fmt(labelled)} / ${fmt(p.total)} labelled (${(share * 100).toFixed(1)}%)  ${rate === null ? '-' : fmt(rate)}/s  ${eta}${parked}`;
}

export async function backfill(argv: string[], io: CliIo): Promise<number> {
  let values: { project?: string; now?: boolean; once?: boolean } | null = null;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { project: { type: 'string' }, now: { type: 'boolean' }, once: { type: 'boolean' } },
    }));
  } catch {
    // An unknown option: the usage below.
  }
  if (!values || (values.project !== undefined && !check(Uuid(), values.project).ok)) {
    io.stderr(`${USAGE}\n`);
    return 2;
  }
  const opened = await openCliDatabase(io, { max: 1 });
  if (!opened) return 1;
  const { url, db, close } = opened;
  try {
    await migrateDatabase(url);
    await kickSweep(db);
    io.stdout('sweep requested: the workers enqueue the unlabelled threads now\n');
    const samples: { at: number; labelled: number }[] = [];
    let idleSince = Date.now();
    for (;;) {
      const p = await classificationProgress(db, { projectId: values.project });
      const now = Date.now();
      const labelled = p.total - p.unlabelled;
      samples.push({ at: now, labelled });
      while (samples.length > 1 && now - samples[0].at > RATE_WINDOW_MS) samples.shift();
      const first = samples[0];
      const rate = now > first.at ? ((labelled - first.labelled) * 1000) / (now - first.at) : null;
      if (rate) idleSince = now;
      const line = progressLine(p, rate);
      const done = p.unlabelled === p.parked;
      if (io.isTTY) io.stdout(`\r${line}\x1b[K`);
      else if (done || values.once || samples.length % 5 === 1) io.stdout(`${line}\n`);
      if (done || values.once || io.signal?.aborted) break;
      if (now - idleSince > IDLE_WARNING_MS) {
        io.stdout('\nno progress for 15 s: is a worker running? (npm start, or npm run start:worker)\n');
        idleSince = now;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    if (io.isTTY) io.stdout('\n');
    return 0;
  } finally {
    await close();
  }
}

runAsCommand(import.meta.url, backfill, { interruptible: true });
