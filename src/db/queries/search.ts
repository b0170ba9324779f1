import { sql } from 'drizzle-orm';
import { rows, type Db } from '../client.js';
import type { RetrievedChunk, Retriever } from '../../models/retriever.js';
import { nearestPages } from './search-concepts.js';
import { questionTerms, rankingStatement, tsquery, type RankedPage } from './search-words.js';

// Search over a project's chunks: the pages best ranked by words (search-words.ts: BM25 over PostgreSQL
// full-text search) and by concept, fused.
//
// Words alone miss a page that answers in other words ("scratch file" for tempfile's page). Beside the word
// ranking, the pages nearest the question in the project's concept space (search-concepts.ts) are ranked, and
// the two are fused by score (see fuse): a page high in both comes first, and a page near in concept can enter
// the results without sharing a word. Such a page covers none of the question (coverage 0), so the chat's
// retriever, which wants words in common, does not take it.

/** The weight of a page's cosine to the question beside its word score (the best page's is 1). */
const CONCEPT_WEIGHT = 0.3;
/** The pages each ranking brings to the fusion. */
const FUSION_DEPTH = 30;

export type SearchHit = RetrievedChunk & {
  snippet: string;
  /** The share of the question's weight (its words' rarity) that the chunk matches, 0 to 1. */
  coverage: number;
};

/**
 * The chunks of the project's live sources best matching `query`, best first, one per document; each with its
 * snippet unless `snippets` is false (the chat's prompt takes whole chunks: an empty snippet costs nothing).
 */
export async function searchChunks(
  db: Db,
  p: { projectId: string; query: string; limit: number; snippets?: boolean },
): Promise<SearchHit[]> {
  const { terms, avgLength, computedAt } = await questionTerms(db, p.projectId, p.query);
  if (terms.length === 0) return [];
  const depth = Math.max(p.limit, FUSION_DEPTH);
  const [byWords, byConcept] = await Promise.all([
    // Unprepared: planned with its values each time. A prepared statement turns generic after a few runs, and
    // a generic plan cannot see how many chunks the words select.
    db.execute(rankingStatement(terms, avgLength, { projectId: p.projectId, limit: depth })),
    nearestPages(db, {
      projectId: p.projectId,
      computedAt,
      words: terms.flatMap((t) => (t.concept ? [t.concept] : [])),
      limit: depth,
    }),
  ]);
  // Twice the pages asked for: a page found by concept whose source was just deleted (its vector is kept until the
  // statistics are recomputed) is left out by hits, and the next page takes its place.
  const pages = fuse([...byWords] as unknown as RankedPage[], byConcept).slice(0, 2 * p.limit);
  const query = p.snippets === false ? null : tsquery(terms);
  return pages.length === 0 ? [] : hits(db, p.projectId, pages, p.limit, query);
}

/**
 * The two rankings fused: a page's word score as a share of the best page's, plus CONCEPT_WEIGHT times its
 * cosine to the question; a page keeps its best chunk and coverage from the words.
 */
function fuse(byWords: RankedPage[], byConcept: { id: string; cosine: number }[]): RankedPage[] {
  const pages = new Map<string, RankedPage>();
  const best = byWords[0]?.score || 1;
  for (const page of byWords) pages.set(page.documentId, { ...page, score: page.score / best });
  for (const { id, cosine } of byConcept) {
    const page = pages.get(id) ?? { documentId: id, chunkId: null, score: 0, coverage: 0 };
    pages.set(id, { ...page, score: page.score + CONCEPT_WEIGHT * cosine });
  }
  return [...pages.values()].sort((a, b) => b.score - a.score || (a.documentId < b.documentId ? -1 : 1));
}

/**
 * The first `limit` pages' chunks in order, each with its snippet (`query` null: none): a page's best chunk, or
 * for a page found by concept only its first. A page whose source was deleted meanwhile is left out.
 */
async function hits(
  db: Db,
  projectId: string,
  pages: RankedPage[],
  limit: number,
  query: string | null,
): Promise<SearchHit[]> {
  const snippet =
    query === null
      ? sql`''`
      : sql`ts_headline('english', c.body, ${query}::tsquery, 'MaxWords=40, MinWords=20, StartSel="", StopSel=""')`;
  const wanted = JSON.stringify(pages.map((page, ord) => ({ ord, ...page })));
  return rows<SearchHit>(
    db,
    // Each page's chunk fetched by its key in a lateral (limit 1): joined, the planner estimates the deleted
    // sources' filter far too selective and scans a small database's chunks whole to hash them (27 ms at 20,000).
    sql`select c.id, c.document_id as "documentId", c.source_id as "sourceId", c.title, c.section, c.url, c.body,
          w.score, w.coverage, ${snippet} as snippet
        from json_to_recordset(${wanted}::json)
          as w(ord int, "documentId" uuid, "chunkId" bigint, score float8, coverage float8)
        cross join lateral (
          select * from chunks c
          where c.id = coalesce(w."chunkId",
              (select id from chunks where document_id = w."documentId" order by position limit 1))
            and c.source_id <> all (array(
              select id from sources where project_id = ${projectId} and deleted_at is not null))
          limit 1
        ) c
        order by w.ord limit ${limit}`,
  );
}

/** Below this share of the question's weight, a chunk is not taken as covering the question. */
export const MIN_COVERAGE = 0.4;

/**
 * The chat's retriever: the best chunks that cover enough of the question, or none. Twice as many are searched,
 * so that pages found by concept only (which cover nothing) do not take the places of pages that do.
 */
export function createRetriever(db: Db): Retriever {
  return {
    async retrieve(projectId, question, limit = 5) {
      const hits = await searchChunks(db, { projectId, query: question, limit: 2 * limit, snippets: false });
      return hits.filter((h) => h.coverage >= MIN_COVERAGE).slice(0, limit);
    },
  };
}
