import { sql } from 'drizzle-orm';
import { rows, type Db, type DbOrTx } from '../client.js';
import { SEARCH_STATS_LOCK } from '../locks.js';
import { computeConcepts, type PageWord } from '../../sources/concepts.js';

// The statistics search ranks with (search-words.ts, search-concepts.ts): per project, each lexeme's document
// frequency, the number and average length of the chunks, and the concept vectors of its pages and words.

/** Four significant digits: the vectors' JSON stays small, the cosines do not move. */
const compact = (v: number[]) => v.map((x) => Number(x.toPrecision(4)));

/**
 * Recomputes a project's search statistics from its live sources' chunks: each lexeme's document frequency
 * (ts_stat's ndoc), the chunks' count and average length, and the pages' and words' concepts. One
 * transaction: search reads the old or the new statistics, never half of them. Two runs for one project (a
 * job added while one runs is not merged into it) take turns: overlapping, the second's delete would miss the
 * first's new rows and its insert collide.
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
    await recomputeConcepts(tx, projectId, live);
  });
}

/**
 * The most pages a project's concepts are computed for: past it, reading every page's words would take too much
 * memory, and search ranks by words alone.
 */
export const MAX_CONCEPT_PAGES = 5000;

/** The pages' and words' concept vectors, from how often each word occurs in each live page. */
async function recomputeConcepts(tx: DbOrTx, projectId: string, live: ReturnType<typeof sql>) {
  await rows(tx, sql`delete from page_concepts where project_id = ${projectId}`);
  const [{ pages }] = await rows<{ pages: number }>(tx, sql`select count(distinct document_id)::int as pages ${live}`);
  if (pages > MAX_CONCEPT_PAGES) return;
  const counts = await rows<PageWord>(
    tx,
    sql`select c.document_id as page, u.lexeme, sum(coalesce(array_length(u.positions, 1), 1))::int as count
        from (select document_id, tsv ${live}) c cross join unnest(c.tsv) u
        group by 1, 2`,
  );
  const concepts = computeConcepts(counts);
  if (!concepts) return;
  await rows(
    tx,
    sql`insert into page_concepts (document_id, project_id, concept)
        select p.id, ${projectId}, p.vector
        from json_to_recordset(${JSON.stringify(concepts.pages.map((p) => ({ id: p.id, vector: compact(p.vector) })))}::json)
          as p(id uuid, vector real[])`,
  );
  await rows(
    tx,
    sql`update search_terms t set concept = w.vector
        from json_to_recordset(${JSON.stringify(concepts.words.map((w) => ({ lexeme: w.lexeme, vector: compact(w.vector) })))}::json)
          as w(lexeme text, vector real[])
        where t.project_id = ${projectId} and t.lexeme = w.lexeme`,
  );
}
