import type { Task } from 'graphile-worker';
import PQueue from 'p-queue';
import { Type } from '@sinclair/typebox';
import type { DbOrTx } from '../src/db/client.js';
import {
  deletePendingReport,
  getReport,
  lockPendingReport,
  markReportSent,
  type Report,
} from '../src/db/queries/report-send.js';
import { projectUsage, teamProjects } from '../src/db/queries/report-usage.js';
import { createMailer, mailDomain, type MailMessage } from '../src/reports/mailer.js';
import { renderReport } from '../src/reports/render.js';
import { previousPeriod, type DuePeriod } from '../src/reports/schedule.js';
import { Uuid } from '../src/schemas/common.js';
import type { TaskDeps } from '../src/jobs/task.js';
import { task } from '../src/jobs/task.js';

const Payload = Type.Object({ report_id: Uuid() });

// At most this many reports in their SMTP transaction at once, per process. Each holds a pooled connection
// (the row lock) while SMTP talks: a Monday's burst must not take the pool from classification, nor (under
// npm start) from the API.
const SENDING_AT_ONCE = 2;

/** What the report tasks need: no classifier, so `npm run admin -- reports send` can run them too. */
export type ReportDeps = Pick<TaskDeps, 'config' | 'db' | 'log'>;

async function buildMessage(db: DbOrTx, report: Report, domain: string): Promise<MailMessage> {
  const period: DuePeriod = { interval: report.interval, start: report.periodStart, end: report.periodEnd };
  const previous = previousPeriod(period);
  const projects = [];
  for (const p of await teamProjects(db, { teamId: report.teamId })) {
    projects.push({
      name: p.projectName,
      product: p.productName,
      ...(await projectUsage(db, { projectId: p.id, period, previous })),
    });
  }
  const rendered = renderReport({
    recipientName: report.firstName,
    teamName: report.teamName,
    period,
    previous,
    projects,
  });
  const name = [report.firstName, report.lastName].filter(Boolean).join(' ');
  return {
    to: { name, address: report.email },
    ...rendered,
    // The same for every attempt at this report: a receiver that already has it can drop a repeat.
    messageId: `<report.${period.interval.toLowerCase()}.${period.start}.${report.userId}@${domain}>`,
  };
}

/**
 * Builds and sends one usage report. The row is locked (FOR UPDATE) before the message is handed to SMTP
 * and marked sent in the same transaction, so a second job for the report waits, then finds it sent and
 * sends nothing. An SMTP failure throws: the transaction rolls back, the row stays pending and
 * graphile-worker retries with backoff. The one window left: the process dies after the SMTP server
 * accepted the message but before the commit (an UPDATE and a COMMIT later); the retry then sends it
 * again, with the same Message-ID.
 */
export function sendReport({ config, db, log }: ReportDeps): Task {
  const mailer = createMailer(config);
  const domain = mailDomain(config);
  const sending = new PQueue({ concurrency: SENDING_AT_ONCE });
  return task(Payload, log, async (payload, job) => {
    const report = await getReport(db, { reportId: payload.report_id });
    // Gone with its user, or a repeat of a job that already sent it.
    if (!report || report.sentAt) return;
    const meta = {
      reportId: report.id,
      userId: report.userId,
      interval: report.interval,
      periodStart: report.periodStart,
    };
    if (report.userInterval !== report.interval) {
      await deletePendingReport(db, { reportId: report.id });
      job.log.info(meta, 'usage report dropped: the user changed their digest interval since it was queued');
      return;
    }

    const message = await buildMessage(db, report, domain);
    const delivery = await sending.add(() =>
      db.transaction(async (tx) => {
        if (!(await lockPendingReport(tx, { reportId: report.id }))) return null;
        const sent = await mailer.send(message);
        await markReportSent(tx, { reportId: report.id, messageId: message.messageId });
        return sent;
      }),
    );
    if (delivery) job.log.info({ ...meta, messageId: message.messageId, ...delivery }, 'usage report sent');
  });
}
