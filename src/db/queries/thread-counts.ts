// The rollup behind the counts by hour (thread_counts): triggers add deltas as threads are created, labelled
// and deleted; this folds them in.
import { sql } from 'drizzle-orm';
import { rows, type Db } from '../client.js';

/**
 * Folds up to `limit` rows of thread_count_deltas into thread_counts (rows that reach 0 go) in one
 * transaction; the deltas of a project deleted meanwhile are dropped. Returns how many it
 * folded: fewer than `limit` means none were left. Concurrent runs take disjoint rows.
 */
export async function compactThreadCounts(db: Db, limit: number): Promise<number> {
  return db.transaction(async (tx) => {
    const [folded] = await rows<{
      moved: number;
      emptied: { project_id: string; hour: string; category_id: string | null }[];
    }>(
      tx,
      sql`
      with moved as (
        delete from thread_count_deltas
        where ctid = any(array(select ctid from thread_count_deltas limit ${limit} for update skip locked))
        returning project_id, hour, category_id, threads
      ),
      summed as (
        select m.project_id, m.hour, m.category_id, sum(m.threads)::int as threads
        from moved m join projects p on p.id = m.project_id
        group by 1, 2, 3 having sum(m.threads) <> 0
        -- One order for every run: two runs upserting the same keys never deadlock.
        order by 1, 2, 3
      ),
      upserted as (
        insert into thread_counts as c (project_id, hour, category_id, threads) select * from summed
        on conflict on constraint thread_counts_key do update set threads = c.threads + excluded.threads
        returning c.project_id, c.hour, c.category_id, c.threads
      )
      select (select count(*)::int from moved) as moved,
        coalesce((select json_agg(u) from upserted u where u.threads = 0), '[]') as emptied`,
    );
    const emptied = folded.emptied;
    if (emptied.length > 0) {
      await tx.execute(sql`
        delete from thread_counts c using json_to_recordset(${JSON.stringify(emptied)}::json)
          as e (project_id uuid, hour timestamptz, category_id uuid)
        where c.project_id = e.project_id and c.hour = e.hour and c.category_id is not distinct from e.category_id
          and c.threads = 0`);
    }
    return folded.moved;
  });
}
