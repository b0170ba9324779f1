import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import type { Test } from 'tap';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { closeDb } from '../src/db/client.js';
import { apiDb } from '../src/server.js';
import type { LlmClient } from '../src/models/llm.js';
import { makeWorkerUtils, runOnce, type WorkerUtils } from 'graphile-worker';
import type pg from 'pg';
import { pino, type Logger } from 'pino';
import type { Config } from '../src/config.js';
import type { Db } from '../src/db/client.js';
import { StaticClassifier, type Classifier } from '../src/models/classifier.js';
import { workerLogger } from '../src/observability/logger.js';
import { createTaskList } from '../src/jobs/task-list.js';
import { jobConnections } from '../src/jobs/pg-pool.js';
import { createFetcher } from '../src/sources/fetch.js';
import type { Static } from '@sinclair/typebox';
import type { ErrorSchema } from '../src/schemas/common.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/** The one error shape every route answers with: `res.json<ApiError>()`. */
export type ApiError = Static<typeof ErrorSchema>;
/** One page of a list: `res.json<Page<Static<typeof Thread>>>()`. */
export interface Page<T> {
  results: T[];
  next: string | null;
}

const serverUrl = process.env.TEST_SERVER_URL;
const template = process.env.TEST_TEMPLATE_DB;
if (!serverUrl || !template)
  throw new Error('run the tests with `npm test`: it starts PostgreSQL and prepares the template database');

/**
 * A fresh database cloned from the migrated template (or, with `empty`, one with no schema at all),
 * dropped when the test ends.
 */
export async function testDatabase(t: Test, opts: { empty?: boolean } = {}): Promise<string> {
  const name = `t_${randomUUID().replaceAll('-', '')}`;
  const admin = postgres(serverUrl!, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name} template ${opts.empty ? 'template0' : template}`);
  t.teardown(async () => {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  });
  const url = new URL(serverUrl!);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * The app on its own database, as production builds it; model latencies 0. Closed in teardown.
 * A pool of 5 unless `env` says otherwise: test files run in parallel against one PostgreSQL.
 */
export async function build(t: Test, opts: { env?: Record<string, string>; llm?: LlmClient } = {}) {
  const url = await testDatabase(t);
  const config = loadConfig({
    DATABASE_URL: url,
    DATABASE_POOL_SIZE: '5',
    LLM_LATENCY_MS: '0',
    CLASSIFIER_LATENCY_MS: '0',
    // Off: a loaded machine stalls the event loop for a second or more, and a window with no delay sample
    // counts as infinite delay, so any limit would shed requests a right test makes. The overload test
    // sheds on heap use instead.
    OVERLOAD_EVENT_LOOP_DELAY_MS: '0',
    ADMIN_TOKEN,
    LOG_LEVEL: 'silent',
    ...opts.env,
  });
  const db = apiDb(url, config);
  const app = await buildApp({ config, db, llm: opts.llm });
  t.teardown(async () => {
    await app.close();
    await closeDb(db);
  });
  return { app, db, config, url };
}

/**
 * graphile-worker's connections for `use` (runOnce, makeWorkerUtils), on a pool of ours, ended and waited for when
 * it returns. Given only a connection string, graphile-worker (0.17) ends its own pool without waiting, and the
 * test's database, dropped a moment later, could still find a connection of it open: the connection's error then
 * reaches a pool whose listeners are gone, an uncaught error that fails the test file.
 */
export async function withJobPool<T>(url: string, use: (pgPool: pg.Pool) => Promise<T>): Promise<T> {
  const pool = jobConnections(url, pino({ level: 'silent' }));
  try {
    return await use(pool);
  } finally {
    await pool.end();
  }
}

/** graphile-worker's rescheduleJobs (its public API) on the test's database: e.g. jobs due now, not after a backoff. */
export function rescheduleJobs(
  url: string,
  ids: string[],
  options: Parameters<WorkerUtils['rescheduleJobs']>[1],
): Promise<void> {
  return withJobPool(url, async (pgPool) => {
    const utils = await makeWorkerUtils({ pgPool });
    await utils.rescheduleJobs(ids, options).finally(() => utils.release());
  });
}

/**
 * Runs every job that is due until none is left (of the tasks `only` picks: all by default), as a worker
 * process would (graphile-worker's runOnce), with the stand-in classifier at latency 0 unless the test brings its
 * own. Returns only once
 * graphile-worker has recorded each job's success or failure: batched, those writes are flushed at
 * shutdown; unbatched (its default), they may land after runOnce returns.
 */
export async function drain(
  ctx: { url: string; config: Config; db: Db },
  opts: { classifier?: Classifier; log?: Logger; only?: (task: string) => boolean } = {},
) {
  const log = opts.log ?? pino({ level: 'silent' });
  const fetcher = createFetcher({
    allowPrivate: ctx.config.SOURCES_ALLOW_PRIVATE,
    timeoutMs: ctx.config.CRAWL_TIMEOUT_MS,
  });
  await withJobPool(ctx.url, (pgPool) =>
    runOnce({
      pgPool,
      concurrency: 4,
      logger: workerLogger(log),
      preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
      taskList: Object.fromEntries(
        Object.entries(
          createTaskList({
            config: ctx.config,
            db: ctx.db,
            log,
            classifier: opts.classifier ?? new StaticClassifier(0),
            fetcher,
          }),
        ).filter(([task]) => opts.only?.(task) ?? true),
      ),
    }),
  ).finally(() => fetcher.close());
}

/** What a truthy value of type T can be: `check` may say "not yet" with false, null or undefined. */
export type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

/**
 * Polls `check` until it returns a truthy value, which it returns. Gives up after `timeoutMs` (generous: a
 * slow, loaded machine must not fail a test that is right), throwing an error that names what was awaited
 * and the last value seen, so a failing test says what never happened.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  { timeoutMs = 30_000, everyMs = 25 }: { timeoutMs?: number; everyMs?: number } = {},
): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Truthy<T>;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}; last value: ${String(value)}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
