import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { run, type Runner, type TaskList, type WorkerEvents, type WorkerPool } from 'graphile-worker';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Db } from '../db/client.js';
import { releaseWorkers } from '../db/queries/heartbeats.js';
import { jobsProcessed } from '../observability/metrics.js';
import { errorFields, rootMessage, workerLogger } from '../observability/logger.js';
import { withDeadline } from '../runtime/deadline.js';
import { cronItemsFor } from './crontab.js';
import type { Heartbeat } from './heartbeat.js';

// After a job pool stopped because the database went away, a new one is tried this often until it starts.
const RESTART_DELAY_MS = 1000;

export interface Worker {
  /** Stops taking jobs and waits up to `graceMs` for the running ones; those still running are then released. */
  stop(graceMs?: number): Promise<void>;
}

export interface LaneOptions {
  name: string;
  log: Logger;
  db: Db;
  pgPool: pg.Pool;
  heartbeat: Heartbeat;
  taskList: TaskList;
  concurrency: number;
  /** Runs before each start of a job pool (the first and every restart). */
  onLaunch?: () => Promise<void>;
}

/** Where a lane is: starting a job pool, running one, waiting to try again after one stopped, or stopped. */
type State =
  | { name: 'launching' }
  | { name: 'running'; runner: Runner; pool: WorkerPool }
  | { name: 'waiting' }
  | { name: 'stopped' };

/**
 * One lane of a worker: a graphile-worker job pool, kept running through database outages.
 *
 * graphile-worker shuts its pool down when it cannot record a job's outcome (the database went away
 * mid-job), and that shutdown can itself wait minutes on retries; the pool's jobs stay locked meanwhile.
 * So when a pool starts shutting down without our asking, the lane leaves it to finish in the background,
 * waits, and starts a new one as soon as the database answers, first releasing the old pool's jobs
 * (force_unlock_workers) rather than after graphile-worker's 4-hour lock timeout. Every task is idempotent,
 * so a job that runs again is harmless.
 */
export class Supervisor implements Worker {
  private state: State = { name: 'launching' };
  private readonly log: Logger;
  /** Pools that went down: a pool's end is reported twice (its shutdown, then its runner's end). */
  private readonly down = new Set<string>();
  /** Pools that went down whose jobs are still locked: the next launch releases them. */
  private unreleased: string[] = [];
  private retrying: Promise<void> = Promise.resolve();

  private constructor(private readonly opts: LaneOptions) {
    this.log = opts.log.child({ lane: opts.name });
  }

  /** Starts the lane. Never fails: the API may already be serving (npm start), so a database away is waited out. */
  static async start(opts: LaneOptions): Promise<Supervisor> {
    const lane = new Supervisor(opts);
    try {
      await lane.launch();
    } catch (err) {
      lane.log.warn({ reason: rootMessage(err) }, 'worker: cannot start (database unavailable?); trying again');
      lane.retry();
    }
    return lane;
  }

  async stop(graceMs = 0): Promise<void> {
    const last = this.state;
    this.state = { name: 'stopped' };
    // A pool starting after an outage is waited for (it stops itself on seeing the lane stopped): left to
    // finish later, its start or stop would run on a connection pool the worker has ended meanwhile.
    await withDeadline(this.retrying, last.name === 'launching' ? Math.max(graceMs, 500) : 500);
    const running = last.name === 'running' ? last : null;
    const stopped = running
      ? await withDeadline(
          running.runner.stop().catch((err) => this.log.warn(errorFields(err), 'worker: stop failed')),
          graceMs,
        )
      : true;
    if (running && !stopped) {
      this.log.warn({ graceMs }, 'worker: jobs still running at the deadline are released for another worker');
      // Failed with backoff: another worker runs them again.
      await withDeadline(Promise.resolve(running.pool.forcefulShutdown('shutdown deadline reached')), 1000);
    }
    // Pools an outage stopped are still shutting themselves down (graphile-worker retries their release):
    // forcing them would only end that with an error. Their jobs, unless a relaunch released them already,
    // are released here for another worker.
    if (this.unreleased.length > 0) {
      const released = releaseWorkers(this.opts.db, { workerIds: this.unreleased }).catch((err) =>
        this.log.warn({ reason: rootMessage(err) }, 'worker: could not release the jobs of the stopped pool'),
      );
      await withDeadline(released, 1000);
    }
  }

  private is(name: State['name']): boolean {
    return this.state.name === name;
  }

  /** launching → running; throws (the caller waits and tries again) while the database is away. */
  private async launch(): Promise<void> {
    this.state = { name: 'launching' };
    if (this.unreleased.length > 0) {
      await releaseWorkers(this.opts.db, { workerIds: this.unreleased });
      this.log.info({ pools: this.unreleased }, 'worker: released the jobs of the stopped pool');
      this.unreleased = [];
    }
    await this.opts.onLaunch?.();
    const { runner, pool } = await this.runPool();
    void runner.promise.catch(() => {}).finally(() => this.poolDown(pool, 'the runner stopped'));
    // Asked to stop meanwhile: this pool is not the lane's to keep.
    if (this.is('stopped')) {
      await runner.stop().catch(() => {});
      return;
    }
    if (this.down.has(pool.id)) throw new Error('the job pool stopped as it started');
    this.state = { name: 'running', runner, pool };
    await this.opts.heartbeat.add(pool.id);
  }

  /** running → waiting, when a pool stops without our asking. */
  private poolDown(pool: WorkerPool, reason: string): void {
    if (this.is('stopped') || this.down.has(pool.id)) return;
    this.down.add(pool.id);
    this.unreleased.push(pool.id);
    this.opts.heartbeat.remove(pool.id);
    if (this.state.name !== 'running' || this.state.pool !== pool) return;
    this.log.warn(
      { pool: pool.id, reason },
      'worker: the job pool stopped (database unavailable?); starting a new one',
    );
    this.retry();
  }

  /** waiting → launching, every RESTART_DELAY_MS until a pool starts or the lane stops. */
  private retry(): void {
    this.state = { name: 'waiting' };
    this.retrying = (async () => {
      while (this.is('waiting')) {
        await sleep(RESTART_DELAY_MS);
        if (!this.is('waiting')) return;
        try {
          await this.launch();
          if (this.is('running')) this.log.info('worker: running again');
          return;
        } catch (err) {
          if (this.is('stopped')) return;
          this.state = { name: 'waiting' };
          this.log.warn({ reason: rootMessage(err) }, 'worker: cannot start yet');
        }
      }
    })();
  }

  private async runPool(): Promise<{ runner: Runner; pool: WorkerPool }> {
    const events: WorkerEvents = new EventEmitter();
    let pool: WorkerPool | undefined;
    events.on('pool:create', ({ workerPool }) => void (pool = workerPool));
    events.on('pool:gracefulShutdown', ({ workerPool, message }) => this.poolDown(workerPool, message));
    events.on('job:success', ({ job }) => jobsProcessed.inc({ task: job.task_identifier, outcome: 'success' }));
    events.on('job:error', ({ job }) => jobsProcessed.inc({ task: job.task_identifier, outcome: 'error' }));
    const runner = await run({
      pgPool: this.opts.pgPool,
      concurrency: this.opts.concurrency,
      noHandleSignals: true,
      pollInterval: 1000,
      logger: workerLogger(this.log),
      events,
      taskList: this.opts.taskList,
      parsedCronItems: cronItemsFor(this.opts.taskList),
      // Batched completion: a completion that fails shuts the pool down (handled here) instead of being an
      // unhandled rejection that ends the process.
      preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
    });
    if (!pool) throw new Error('graphile-worker started no job pool');
    return { runner, pool };
  }
}
