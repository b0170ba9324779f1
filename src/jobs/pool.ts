// One graphile-worker job pool (a lane of a worker), kept running through database outages, with the
// crontab lines of its tasks.
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { run, type Runner, type TaskList, type WorkerEvents, type WorkerPool } from 'graphile-worker';
import type pg from 'pg';
import type { Logger } from 'pino';
import { rows, type Db } from '../db/client.js';
import { rootMessage, workerLogger } from '../observability/logger.js';
import { projectFile } from '../runtime/paths.js';
import { withDeadline } from '../runtime/deadline.js';
import { jobsProcessed } from '../observability/metrics.js';
import type { Heartbeat } from './heartbeat.js';

const crontab = readFileSync(projectFile('crontab'), 'utf8');
// After a pool stopped because the database went away, a new one is tried this often until it answers.
const RESTART_DELAY_MS = 1000;

export interface Worker {
  /** Stops taking jobs and waits up to `graceMs` for the running ones; those still running are then released. */
  stop(graceMs?: number): Promise<void>;
}

/** The crontab lines whose task this lane runs. */
const crontabFor = (taskList: TaskList) =>
  crontab
    .split('\n')
    .filter((line) => !/^\s*[^#\s]/.test(line) || line.trim().split(/\s+/)[5] in taskList)
    .join('\n');

/**
 * One graphile-worker job pool, kept running.
 *
 * graphile-worker shuts its pool down when it cannot record a job's outcome (the database went away
 * mid-job), and that shutdown can itself wait minutes on retries; the pool's jobs stay locked meanwhile.
 * So when a pool starts shutting down without our asking, we leave it to finish in the background and
 * start a new one as soon as the database answers, releasing the old pool's jobs at once
 * (force_unlock_workers) rather than after graphile-worker's 4-hour lock timeout. Every task is
 * idempotent, so a job that runs again is harmless.
 */
export async function supervise(opts: {
  name: string;
  log: Logger;
  db: Db;
  pgPool: pg.Pool;
  heartbeat: Heartbeat;
  taskList: TaskList;
  concurrency: number;
  onLaunch?: () => Promise<void>;
}): Promise<Worker> {
  const log = opts.log.child({ lane: opts.name });
  let stopping = false;
  let current: { runner: Runner; pool: WorkerPool } | null = null;
  let restarting: Promise<void> | null = null;
  // Pools not yet stopped: the current one, and those an outage is shutting down.
  const pools = new Set<WorkerPool>();
  const downPools = new Set<string>();
  let unreleased: string[] = [];

  const launch = async (): Promise<void> => {
    if (unreleased.length > 0) {
      await rows(opts.db, sql`select graphile_worker.force_unlock_workers(${`{${unreleased.join(',')}}`}::text[])`);
      log.info({ pools: unreleased }, 'worker: released the jobs of the stopped pool');
      unreleased = [];
    }
    await opts.onLaunch?.();
    const events: WorkerEvents = new EventEmitter();
    let pool: WorkerPool | undefined;
    events.on('pool:create', ({ workerPool }) => (pool = workerPool));
    events.on('pool:gracefulShutdown', ({ workerPool, message }) => poolDown(workerPool.id, message));
    events.on('job:success', ({ job }) => jobsProcessed.inc({ task: job.task_identifier, outcome: 'success' }));
    events.on('job:error', ({ job }) => jobsProcessed.inc({ task: job.task_identifier, outcome: 'error' }));
    const runner = await run({
      pgPool: opts.pgPool,
      concurrency: opts.concurrency,
      noHandleSignals: true,
      pollInterval: 1000,
      logger: workerLogger(log),
      events,
      taskList: opts.taskList,
      crontab: crontabFor(opts.taskList),
      // Batched completion: a completion that fails shuts the pool down (handled here) instead of being
      // an unhandled rejection that ends the process.
      preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
    });
    pools.add(pool!);
    current = { runner, pool: pool! };
    if (!downPools.has(pool!.id)) await opts.heartbeat.add(pool!.id);
    runner.promise
      .catch(() => {})
      .finally(() => {
        pools.delete(pool!);
        poolDown(pool!.id, 'the runner stopped');
      });
  };

  const poolDown = (poolId: string, reason: string) => {
    if (stopping || !poolId || downPools.has(poolId)) return;
    downPools.add(poolId);
    unreleased.push(poolId);
    opts.heartbeat.remove(poolId);
    current = null;
    log.warn({ pool: poolId, reason }, 'worker: the job pool stopped (database unavailable?); starting a new one');
    relaunch();
  };

  const relaunch = () => {
    restarting = (async () => {
      while (!stopping) {
        await sleep(RESTART_DELAY_MS);
        if (stopping) return;
        try {
          await launch();
          log.info('worker: running again');
          return;
        } catch (err) {
          log.warn({ reason: rootMessage(err) }, 'worker: cannot start yet');
        }
      }
    })();
  };

  // The API may already be serving (npm start): a database that goes away meanwhile must not end the process.
  await launch().catch((err) => {
    log.warn({ reason: rootMessage(err) }, 'worker: cannot start (database unavailable?); trying again');
    relaunch();
  });
  return {
    async stop(graceMs) {
      stopping = true;
      await withDeadline(restarting ?? Promise.resolve(), 500);
      const stopped = current
        ? await withDeadline(
            current.runner.stop().catch((err) => log.warn({ err }, 'worker: stop failed')),
            graceMs!,
          )
        : true;
      if (!stopped) log.warn({ graceMs }, 'worker: jobs still running at the deadline are released for another worker');
      // Jobs still running (and those of pools an outage stopped) are failed with backoff: another
      // worker runs them again.
      const unfinished = [...pools].filter((p) => p !== current?.pool || !stopped);
      await withDeadline(Promise.all(unfinished.map((p) => p.forcefulShutdown('shutdown deadline reached'))), 1000);
    },
  };
}
