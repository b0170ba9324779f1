import path from 'node:path';
import { runOnce } from 'graphile-worker';
import { queueDueReports, reportStatus, requeuePendingReports } from '../db/queries/reports.js';
import { jobConnections } from '../jobs/pg-pool.js';
import { SEND_REPORT_TASK } from '../jobs/specs.js';
import { sendReport, type ReportDeps } from '../../tasks/reports__send.js';
import { AppError, ErrorCode } from '../errors.js';
import { workerLogger } from '../observability/logger.js';
import { duePeriods, utcDay } from '../reports/schedule.js';

/**
 * `npm run admin -- reports send [--date]`: the cron's fan-out for one day, at once, then the report jobs
 * run right here through the same task code, so the mail goes out without a worker running. Reports of
 * that day still pending (an SMTP retry waiting out its backoff, or a job that gave up) are queued to
 * run now as well. Idempotent: reports already sent are never sent again. A worker running meanwhile may
 * take some of the jobs: those count as pending, not failed, until it has sent them.
 * A day after today (UTC) is refused: its periods have not ended, and a report sent early is the one
 * the cron would have sent, used up.
 */
export async function sendReportsNow(deps: ReportDeps & { databaseUrl: string; day: string }) {
  const { config, db, log, day } = deps;
  const today = utcDay(new Date());
  if (day > today) {
    throw new AppError(
      400,
      ErrorCode.BAD_REQUEST,
      `--date ${day} is in the future (today is ${today}, UTC): its reports cover periods that have not ended, and each goes out only once; nothing sent`,
    );
  }
  const periods = duePeriods(day);
  // Requeue first, so that `requeued` counts only reports left over from an earlier run.
  const requeued = await requeuePendingReports(db, { periods });
  const queued = await queueDueReports(db, { periods });
  // A pool of ours, ended and waited for: given a connection string, graphile-worker ends its own without waiting.
  const pgPool = jobConnections(deps.databaseUrl, log);
  try {
    await runOnce({
      pgPool,
      concurrency: 1,
      noHandleSignals: true,
      logger: workerLogger(log),
      // Batched (even at 0 ms), each job's success or failure is recorded before runOnce returns; unbatched
      // it may land after, and the command would exit leaving a finished job locked (to rerun in 4 hours).
      preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
      taskList: { [SEND_REPORT_TASK]: sendReport(deps) },
    });
  } finally {
    await pgPool.end();
  }
  return {
    date: day,
    periods,
    queued,
    requeued,
    ...(await reportStatus(db, { periods })),
    delivery: config.SMTP_URL ? 'smtp' : `outbox ${path.resolve(config.OUTBOX_DIR)}`,
  };
}
