import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Db } from '../db/client.js';
import { beat, forgetWorkers, releaseDeadWorkers } from '../db/queries/heartbeats.js';
import { withDeadline } from '../runtime/deadline.js';
import { rootMessage } from '../observability/logger.js';

/**
 * The heartbeat of one worker process's graphile-worker pools, and the release of dead workers' jobs.
 *
 * graphile-worker releases the jobs of a worker that died without warning (SIGKILL, out of memory, its
 * machine lost) only after 4 hours. So every few seconds (a fifth of `deadAfterSeconds`) this process
 * marks each of its pools alive in worker_heartbeats, then releases the jobs locked by any pool that has
 * not been seen for `deadAfterSeconds` (force_unlock_workers): they run again on a live worker. Every task is
 * idempotent, and a live pool is never released, so nothing runs twice at once.
 */
export interface Heartbeat {
  /** Beats for this pool from now on, starting at once. */
  add(poolId: string): Promise<void>;
  /** Stops beating for a pool that went down (its jobs are released by whoever restarts it); its row goes. */
  remove(poolId: string): void;
  /** A clean stop: no more beats, and this process's rows are deleted. */
  stop(): Promise<void>;
}

export function startHeartbeat(opts: { db: Db; log: Logger; deadAfterSeconds: number }): Heartbeat {
  const { db, log, deadAfterSeconds } = opts;
  const intervalMs = (deadAfterSeconds * 1000) / 5;
  const live = new Set<string>();
  let gone: string[] = [];
  let timer: NodeJS.Timeout | null = null;
  let ticking: Promise<void> = Promise.resolve();
  let stopped = false;
  // Since when this process has reached the database at every beat (null: the last beat failed). After an
  // outage every heartbeat is stale at once: this process releases nothing until the other live workers
  // have had a whole window to beat again, so none of them is taken for dead.
  let reachableSince: number | null = null;
  let warned = false;

  const tick = async () => {
    try {
      await beat(db, { workerIds: [...live] });
      if (gone.length > 0) {
        const forgotten = gone;
        await forgetWorkers(db, { workerIds: forgotten });
        gone = gone.filter((id) => !forgotten.includes(id));
      }
      reachableSince ??= performance.now();
      warned = false;
      if (performance.now() - reachableSince < deadAfterSeconds * 1000) return;
      const released = await releaseDeadWorkers(db, { deadAfterSeconds });
      if (released.length > 0) {
        log.warn(
          {
            workers: released.map((r) => r.workerId),
            jobs: released.reduce((n, r) => n + r.jobs, 0),
            deadAfterSeconds,
          },
          'worker: released the jobs of dead workers (no heartbeat)',
        );
      }
    } catch (err) {
      reachableSince = null;
      // Once per outage, without a stack: the database being away is expected, and the pools log it too.
      if (!warned)
        log.warn({ reason: rootMessage(err) }, 'worker: heartbeat failed (database unavailable?); trying again');
      warned = true;
    }
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      ticking = tick().finally(schedule);
    }, intervalMs);
    timer.unref();
  };
  schedule();

  return {
    async add(poolId) {
      live.add(poolId);
      try {
        await beat(db, { workerIds: [poolId] });
      } catch {
        // The next tick tries again (and warns).
      }
    },
    remove(poolId) {
      if (live.delete(poolId)) gone.push(poolId);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await withDeadline(ticking, 500);
      const ids = [...live, ...gone];
      live.clear();
      await withDeadline(forgetWorkers(db, { workerIds: ids }), 500);
    },
  };
}
