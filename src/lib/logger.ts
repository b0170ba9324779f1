import { pino, type Logger as Pino } from 'pino';
import { Logger as WorkerLogger } from 'graphile-worker';
import type { Config } from '../config.js';

export function createLogger(config: Pick<Config, 'LOG_LEVEL'>): Pino {
  return pino({ level: config.LOG_LEVEL });
}

/** graphile-worker logs through the same pino logger as the HTTP server: one log format per process. */
export function workerLogger(log: Pino): WorkerLogger {
  return new WorkerLogger((scope) => (level, message, meta) => {
    // graphile-worker logs every job at info: thousands of lines a second in a backfill. Ours are debug.
    const method = level === 'warning' ? 'warn' : level === 'info' ? 'debug' : level;
    log[method]({ ...scope, ...meta }, message);
  });
}
