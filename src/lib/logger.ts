import { pino, type Logger as Pino } from 'pino';
import { Logger as WorkerLogger, type JobHelpers } from 'graphile-worker';
import type { Config } from '../config.js';

/** JSON lines, or readable lines (pino-pretty) when a person watches the terminal. */
export function createLogger(config: Pick<Config, 'LOG_LEVEL'>): Pino {
  const pretty = process.stdout.isTTY ? { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } : undefined;
  return pino({ level: config.LOG_LEVEL, transport: pretty });
}

// graphile-worker warns when its pool is smaller than its concurrency; ours is on purpose: no connection
// is held while a task runs (a classification waits on the model, not on the database).
const IGNORED = /^WARNING: having maxPoolSize/;

/** The logger of one job: every line names the job, its task and its attempt. */
export const jobLogger = (log: Pino, { job }: Pick<JobHelpers, 'job'>): Pino =>
  log.child({ job: { id: job.id, task: job.task_identifier, attempt: job.attempts } });

/**
 * A job's expected failure, retried by graphile-worker's backoff (a webhook endpoint that answered 500). The
 * task has already logged it as a warning: graphile-worker's own "Failed task" line (which carries the stack
 * in its text) is then only a debug line, without the stack.
 */
export class RetryLater extends Error {}

/** graphile-worker logs through the same pino logger as the HTTP server: one log format per process. */
export function workerLogger(log: Pino): WorkerLogger {
  return new WorkerLogger((scope) => (level, message, meta) => {
    if (IGNORED.test(message)) return;
    const err = (meta as { error?: unknown } | undefined)?.error;
    const job = scope.jobId ? { id: scope.jobId, task: scope.taskIdentifier } : undefined;
    // An expected failure (RetryLater): the task logged its warning; this repeat is debug, its first line only.
    if (err instanceof RetryLater) return log.debug({ worker: scope.workerId, job, reason: err.message }, message.split('\n')[0]!.replace(/:$/, ''));
    // graphile-worker logs every job at info: thousands of lines a second in a backfill. Ours are debug.
    const method = level === 'warning' ? 'warn' : level === 'info' ? 'debug' : level;
    log[method]({ worker: scope.workerId, job, ...(err ? { err } : {}) }, message);
  });
}
