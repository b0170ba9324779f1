import type { JobHelpers, Task } from 'graphile-worker';
import type { Static, TSchema } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import type { Classifier } from '../models/classifier.js';
import type { Fetcher } from '../sources/fetch.js';
import { jobLogger } from '../observability/logger.js';
import { check } from '../schemas/validation.js';

/** What every task is built from. */
export interface TaskDeps {
  config: Config;
  db: Db;
  log: Logger;
  classifier: Classifier;
  /** The crawler's connections: one keep-alive pool per worker process. */
  fetcher: Fetcher;
}

/**
 * A graphile-worker task whose payload is checked first: an invalid one can never succeed, so it is logged
 * and dropped rather than retried. The handler gets the typed payload and a logger that names the job; a
 * throw means "retry with backoff".
 */
export function task<T extends TSchema>(
  payloadSchema: T,
  log: Logger,
  handle: (payload: Static<T>, job: { helpers: JobHelpers; log: Logger }) => Promise<void>,
): Task {
  return async (payload, helpers) => {
    const jobLog = jobLogger(log, helpers);
    const result = check(payloadSchema, payload);
    if (!result.ok) {
      jobLog.error({ payload, reason: result.problem }, 'invalid payload, dropped');
      return;
    }
    await handle(result.value, { helpers, log: jobLog });
  };
}
