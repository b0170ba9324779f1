import type { Task } from 'graphile-worker';
import { jobLogger } from '../src/lib/logger.js';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { DbOrTx } from '../src/db/client.js';
import {
  deletePendingReport,
  getReport,
  lockPendingReport,
  markReportSent,
  projectUsage,
  teamProjects,
  type ReportRow,
} from '../src/db/queries/reports.js';
import { createMailer, mailDomain, type MailMessage } from '../src/reports/mailer.js';
import { renderReport } from '../src/reports/render.js';
import { previousPeriod, type DuePeriod } from '../src/reports/schedule.js';
import { Uuid } from '../src/schemas/common.js';
import '../src/schemas/formats.js';
import type { TaskDeps } from './index.js';

const Payload = Type.Object({ report_id: Uuid() });

// At most this many reports in their SMTP transaction at once, per process. Each holds a pooled connection
// (the row lock) while SMTP talks: a Monday's burst must not take the pool from classification, nor (under
// npm start) from the API.
const SENDING_AT_ONCE = 2;

/** Runs at most `max` of the given functions at a time, the others wait their turn. */
function limiter(max: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active < max) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await fn();
    } finally {
      // Hand the slot to the next in line, or free it.
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}

/** What the report tasks need: no classifier, so `npm run admin -- reports send` can run them too. */
export type ReportDeps = Pick<TaskDeps, 'config' | 'db' | 'log'>;

async function buildMessage(db: DbOrTx, report: ReportRow, domain: string): Promise<MailMessage> {
  const period: DuePeriod = { interval: report.digest_interval, start: report.period_start, end: report.period_end };
  const previous = previousPeriod(period);
  const projects = [];
  for (const p of await teamProjects(db, { teamId: report.team_id })) {
    projects.push({ name: p.project_name, product: p.product_name, ...(await projectUsage(db, { projectId: p.id, period, previous })) });
  }
  const rendered = renderReport({ recipientName: report.first_name, teamName: report.team_name, period, previous, projects });
  const name = [report.first_name, report.last_name].filter(Boolean).join(' ');
  return {
    to: { name, address: report.email },
    ...rendered,
    // The same for every attempt at this report: a receiver that already has it can drop a repeat.
    messageId: `<report.${period.interval.toLowerCase()}.${period.start}.${report.user_id}@${domain}>`,
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
export function sendReport(deps: ReportDeps): Task {
  const { config, db } = deps;
  const mailer = createMailer(config);
  const domain = mailDomain(config);
  const sending = limiter(SENDING_AT_ONCE);
  return async (payload, helpers) => {
    const log = jobLogger(deps.log, helpers);
    if (!Value.Check(Payload, payload)) {
      log.error({ payload }, 'reports__send: invalid payload, dropped');
      return;
    }
    const report = await getReport(db, { reportId: payload.report_id });
    // Gone with its user, or a repeat of a job that already sent it.
    if (!report || report.sent_at) return;
    const meta = { reportId: report.id, userId: report.user_id, interval: report.digest_interval, periodStart: report.period_start };
    if (report.user_interval !== report.digest_interval) {
      await deletePendingReport(db, { reportId: report.id });
      log.info(meta, 'usage report dropped: the user changed their digest interval since it was queued');
      return;
    }

    const message = await buildMessage(db, report, domain);
    const delivery = await sending(() =>
      db.transaction(async (tx) => {
        if (!(await lockPendingReport(tx, { reportId: report.id }))) return null;
        const sent = await mailer.send(message);
        await markReportSent(tx, { reportId: report.id, messageId: message.messageId });
        return sent;
      }),
    );
    if (delivery) log.info({ ...meta, messageId: message.messageId, ...delivery }, 'usage report sent');
  };
}
