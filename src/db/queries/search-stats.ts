import { sql } from 'drizzle-orm';
import { rows, type Db } from '../client.js';
import { SEARCH_STATS_LOCK } from '../locks.js';

// The word statistics BM25 ranks with (search.ts): per project, each lexeme's document frequency, and the
// number and average length of the chunks.

/**
 * Recomputes a project's word statistics from its live sources' chunks: each lexeme's document frequency
 * (ts_stat's ndoc) and the chunks' count and average length. One transaction: search reads the old or the
 * new statistics, never half of them. Two runs for one project (a job added while one runs is not merged into
 * it) take turns: overlapping, the second's delete would miss the first's new rows and its insert collide.
 */
export async function recomputeSearchStats(db: Db, projectId: string): Promise<void> {
  const live = sql`from chunks where project_id = ${projectId} and source_id not in (
    select id from sources where project_id = ${projectId} and deleted_at is not null)`;
  await db.transaction(async (tx) => {
    await rows(tx, sql`select pg_advisory_xact_lock(${SEARCH_STATS_LOCK}, hashtext(${projectId}))`);
    await rows(tx, sql`delete from search_terms where project_id = ${projectId}`);
    // ts_stat takes the query as text: the project id goes in as a quoted literal.
    await rows(
      tx,
      sql`insert into search_terms (project_id, lexeme, df)
          select ${projectId}, word, ndoc from ts_stat(format(
            'select tsv from chunks where project_id = %L and source_id not in (select id from sources where project_id = %L and deleted_at is not null)',
            ${projectId}::text, ${projectId}::text))`,
    );
    await rows(
      tx,
      sql`insert into search_stats (project_id, chunks, avg_length, computed_at)
          select ${projectId}, count(*), coalesce(avg(length(tsv)), 0), now() ${live}
          on conflict (project_id) do update
          set chunks = excluded.chunks, avg_length = excluded.avg_length, computed_at = excluded.computed_at`,
    );
  });
}
