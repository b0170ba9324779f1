import type { Task } from 'graphile-worker';
import { Type } from '@sinclair/typebox';
import { queueDueReports } from '../src/db/queries/reports.js';
import { duePeriods, utcDay } from '../src/reports/schedule.js';
import type { ReportDeps } from './reports__send.js';
import { task } from '../src/jobs/task.js';

// graphile-worker's cron adds `_cron.ts`, the time the run was scheduled for.
const Payload = Type.Object({ _cron: Type.Optional(Type.Object({ ts: Type.String({ format: 'date-time' }) })) });

/**
 * The daily cron entry (see `crontab`): records the reports due that day and queues one job per new
 * report (queueDueReports). It reads the day from the scheduled time, not the clock, so a run backfilled
 * after a worker outage reports for the day it was due.
 */
export function fanOutReports({ db, log }: ReportDeps): Task {
  return task(Payload, log, async (payload, job) => {
    const day = utcDay(payload._cron ? new Date(payload._cron.ts) : new Date());
    const periods = duePeriods(day);
    if (periods.length === 0) return;
    const queued = await queueDueReports(db, { periods });
    job.log.info({ day, intervals: periods.map((p) => p.interval), queued }, 'usage reports queued');
  });
}
