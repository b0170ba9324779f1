import { sql } from 'drizzle-orm';
import { rows, type Db } from '../client.js';

// Arrays go as one text literal cast in SQL (the driver reads no array types): each id quoted.
const textArray = (ids: string[]) => `{${ids.map((id) => `"${id.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;

/** Marks these graphile-worker pools alive now (database time, so no clock of ours is compared). */
export async function beat(db: Db, p: { workerIds: string[] }): Promise<void> {
  if (p.workerIds.length === 0) return;
  await rows(
    db,
    sql`
    insert into worker_heartbeats (worker_id, seen_at)
    select id, now() from unnest(${textArray(p.workerIds)}::text[]) as id
    on conflict (worker_id) do update set seen_at = excluded.seen_at`,
  );
}

/** Deletes these pools' rows: they stopped (cleanly, or their jobs were released another way). */
export async function forgetWorkers(db: Db, p: { workerIds: string[] }): Promise<void> {
  if (p.workerIds.length === 0) return;
  await rows(db, sql`delete from worker_heartbeats where worker_id = any(${textArray(p.workerIds)}::text[])`);
}

export interface ReleasedWorker {
  workerId: string;
  jobs: number;
}

/**
 * Releases the jobs of the pools that died without warning: those holding a lock older than
 * `deadAfterSeconds` with no heartbeat that recent (none at all, or a stale one). A lock younger than that
 * is left alone, so a pool that has just started and not yet beaten is never taken for dead. Then deletes
 * every stale heartbeat row. One transaction: one `now()` for the whole decision. Returns what it released.
 */
export async function releaseDeadWorkers(db: Db, p: { deadAfterSeconds: number }): Promise<ReleasedWorker[]> {
  const window = sql`now() - make_interval(secs => ${p.deadAfterSeconds}::float8)`;
  return db.transaction(async (tx) => {
    const dead = await rows<ReleasedWorker>(
      tx,
      sql`
      select j.locked_by as "workerId", count(*)::int as jobs
      from graphile_worker.jobs j
      where j.locked_by is not null and j.locked_at < ${window}
        and not exists (select 1 from worker_heartbeats h where h.worker_id = j.locked_by and h.seen_at >= ${window})
      group by j.locked_by
      order by j.locked_by`,
    );
    if (dead.length > 0) {
      await rows(
        tx,
        sql`select graphile_worker.force_unlock_workers(${textArray(dead.map((d) => d.workerId))}::text[])`,
      );
    }
    await rows(tx, sql`delete from worker_heartbeats where seen_at < ${window}`);
    return dead;
  });
}

/** Releases the jobs these pools hold at once: pools known to have stopped, whose locks need not age first. */
export async function releaseWorkers(db: Db, p: { workerIds: string[] }): Promise<void> {
  if (p.workerIds.length === 0) return;
  await rows(db, sql`select graphile_worker.force_unlock_workers(${textArray(p.workerIds)}::text[])`);
}
