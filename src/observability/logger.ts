// Errors in log lines, one shape each:
// - unexpected (a bug, or a failure we cannot name): `{ err }`, with pino's serializer: type, message, stack.
// - expected (the database away or timing out, the model provider down, a webhook endpoint that fails, a job
//   payload that can never run): `{ reason }`, the reason in words and no stack, since it is not a bug. For a
//   database error that is rootMessage(err), the driver's words, never drizzle's message, which carries the
//   statement and its parameters (a user's question).
// Where a failure may be either (a background write), log `errorFields(err)`: it picks. The message says what
// failed; it does not repeat the error.
import { format } from 'node:util';
import { pino, type Logger as Pino } from 'pino';
import { Logger as WorkerLogger, type JobHelpers } from 'graphile-worker';
import type { Config } from '../config.js';
import { databaseFault } from '../db/pg-errors.js';
import { RetryLater } from '../errors.js';

/** JSON lines, or readable lines (pino-pretty) when a person watches the terminal. */
export function createLogger(config: Pick<Config, 'LOG_LEVEL'>): Pino {
  const pretty = process.stdout.isTTY
    ? { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } }
    : undefined;
  return pino({ level: config.LOG_LEVEL, transport: pretty });
}

// graphile-worker warns when its pool is smaller than its concurrency; ours is on purpose: no connection
// is held while a task runs (a classification waits on the model, not on the database).
const IGNORED = /^WARNING: having maxPoolSize/;
// What graphile-worker logs when a shutdown deadline releases running jobs (Supervisor.stop): the release
// interrupting its own graceful stop, and the end of a released job's task, which comes after its job pool
// closed and cannot be recorded. The job runs again elsewhere: expected, nothing is lost.
const FORCED_STOP = /forcefulShutdown was initiated whilst gracefulShutdown was still executing/;
// A pool an outage stopped is still shutting itself down (its jobs were released) when the worker stops and
// closes the connection pool: its last attempts meet the closed pool.
const POOL_CLOSED = /Cannot use a pool after calling end on the pool/;
const ENDED_AFTER_RELEASE =
  /^Failed to (complete|fail) jobs [^]*Cannot use a pool after calling end|^Failed to release job [^]*This batcher has been released/;

/** The logger of one job: every line names the job, its task and its attempt. */
export const jobLogger = (log: Pino, { job }: Pick<JobHelpers, 'job'>): Pino =>
  log.child({ job: { id: job.id, task: job.task_identifier, attempt: job.attempts } });

/** The message at the bottom of an error's causes: the driver's, not drizzle's "Failed query: <the SQL>". */
export function rootMessage(err: unknown): string {
  let e = err;
  for (let depth = 0; depth < 5 && (e as { cause?: unknown })?.cause; depth++) e = (e as { cause: unknown }).cause;
  return e instanceof Error ? e.message : String(e);
}

// node-postgres (graphile-worker's driver) when the database goes away: SQLSTATE classes 08 (connection),
// 57P01-03 (shutting down, starting up), 53300 (too many connections), or a connection that ended.
const PG_UNAVAILABLE = /^(08|57P0[1-3]$|53300$)/;
const PG_UNAVAILABLE_MESSAGE =
  /Connection terminated|connection error and is not queryable|terminating connection due to administrator command|the database system is (shutting down|starting up|not yet accepting connections)|ECONNREFUSED|ECONNRESET/;

/** The error (or, without one, the message) of a database that is unreachable or went away: expected. */
export function databaseUnavailable(err: unknown, message = ''): boolean {
  if (err === undefined) return PG_UNAVAILABLE_MESSAGE.test(message);
  if (databaseFault(err) === 'unavailable') return true;
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && PG_UNAVAILABLE.test(code)) return true;
    if (e instanceof Error && PG_UNAVAILABLE_MESSAGE.test(e.message)) return true;
  }
  return false;
}

/** The fields of a log line about `err`: `{ reason }` for a database that is away or timed out, else `{ err }`. */
export function errorFields(err: unknown): { reason: string } | { err: unknown } {
  return databaseFault(err) || databaseUnavailable(err) ? { reason: rootMessage(err) } : { err };
}

/**
 * graphile-worker logs through the same pino logger as the HTTP server: one log format per process.
 * Its own lines about a database that went away (its notify listener, a pool that stops) are debug,
 * without a stack: the worker's own lines tell an outage (src/worker.ts: connection lost, the job pool
 * stopped, cannot start yet, running again); a job the outage made fail is a warning with the reason.
 */
export function workerLogger(log: Pino): WorkerLogger {
  // graphile-worker also prints a worker's exit error with console.trace (a raw stack on stderr) beside
  // the line it logs about it: the trace comes here, at debug.
  console.trace = (...args: unknown[]) => log.debug({ trace: format(...args) }, 'graphile-worker trace');
  return new WorkerLogger((scope) => (logLevel, message, meta) => {
    // The level as a string: graphile-worker's LogLevel is a const enum, absent at run time.
    const level: string = logLevel;
    if (IGNORED.test(message)) return;
    const err = (meta as { error?: unknown } | undefined)?.error;
    const job = scope.jobId ? { id: scope.jobId, task: scope.taskIdentifier } : undefined;
    // An expected failure (RetryLater): the task logged its warning; this repeat is debug, its first line only.
    if (err instanceof RetryLater)
      return log.debug({ worker: scope.workerId, job, reason: err.message }, message.split('\n')[0].replace(/:$/, ''));
    if (level !== 'info' && level !== 'debug' && databaseUnavailable(err, message)) {
      // A job the outage interrupted (it runs again): a warning with the reason. graphile-worker's own lines: debug.
      const failed = (meta as { job?: { id: string; task_identifier: string } } | undefined)?.job;
      const reason = err === undefined ? undefined : rootMessage(err);
      const about = failed ? { id: failed.id, task: failed.task_identifier } : job;
      return log[about ? 'warn' : 'debug'](
        { worker: scope.workerId, job: about, reason },
        message.split('\n')[0].replace(/ with error .*/, ''),
      );
    }
    if (FORCED_STOP.test(message))
      return log.debug({ reason: message }, 'worker: running jobs released at the deadline');
    if (ENDED_AFTER_RELEASE.test(message))
      return log.warn(
        { worker: scope.workerId, reason: message.split('\n').slice(-1)[0] },
        'worker: a job released at shutdown ended afterwards; it runs again',
      );
    if (POOL_CLOSED.test(message) || (err instanceof Error && POOL_CLOSED.test(err.message)))
      return log.debug({ worker: scope.workerId, reason: message }, 'worker: a stopped job pool met the closed pool');
    // graphile-worker logs every job at info: thousands of lines a second in a backfill. Ours are debug.
    const method = level === 'warning' ? 'warn' : level === 'info' ? 'debug' : (logLevel as 'error' | 'debug');
    log[method]({ worker: scope.workerId, job, ...(err ? { err } : {}) }, message);
  });
}
