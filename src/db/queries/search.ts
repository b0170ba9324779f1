import { sql, type SQL } from 'drizzle-orm';
import { rows, type Db } from '../client.js';
import type { RetrievedChunk, Retriever } from '../../models/retriever.js';
import { synonymsOf } from '../../sources/synonyms.js';
import { nearestPages } from './search-concepts.js';

// Full-text search over a project's chunks, ranked by BM25: a word counts for more the rarer it is in the
// project's documentation (search_terms, recomputed in the background as sources change), a match in the
// headings for more than one in the text, and a long chunk's matches for a little less. The results are
// distinct pages: a page scores its best chunk's score plus its next best chunks', each counting for less (a
// page that answers a question tends to match it in more than one of its sections), and comes with its best chunk.
//
// A question is matched as people ask it: its words are stemmed and stop words dropped (to_tsvector), any of
// them may match (an OR), so a question sharing only some words with the answer still finds it, and common
// synonyms of its words (folder, directory) count too, for less.
// Ranking every chunk that holds a common word would read much of the project, so the candidates are the
// chunks holding the question's rarer words (as many of them as CANDIDATE_BUDGET postings allow, the rarest
// always); every word of the question then counts in the score of those.
//
// Words alone miss a page that answers in other words ("scratch file" for tempfile's page). Beside the word
// ranking, the pages nearest the question in the project's concept space (search-concepts.ts) are ranked, and
// the two are fused by score (see fuse): a page high in both comes first, and a page near in concept can enter
// the results without sharing a word. Such a page covers none of the question
// (coverage 0), so the chat's retriever, which wants words in common, does not take it.

// The ranking's constants, tuned on bench:retrieval's questions over a real manual (BENCHMARKS.md).
/** BM25's term-frequency saturation and length normalisation (chunks vary less in length than pages). */
const K1 = 2;
const B = 0.25;
/** ts_rank's weights of a word's occurrences by place: {text, -, headings, title}; the title is every chunk's. */
const WEIGHTS = '{0.1, 0.1, 0.2, 0.1}';
/** The postings (chunks holding a word) candidates are chosen from, at most, past the rarest word's. */
const CANDIDATE_BUDGET = 1500;
/** A synonym's weight against the question's own words. */
const SYNONYM_WEIGHT = 0.8;
/** The weights of a page's best chunks in its score: the best's, the second's, the third's. */
const PAGE_WEIGHTS = [1, 0.8, 0.64];
/** The weight of a page's cosine to the question beside its word score (the best page's is 1). */
const CONCEPT_WEIGHT = 0.3;
/** The pages each ranking brings to the fusion. */
const FUSION_DEPTH = 30;

export type SearchHit = RetrievedChunk & {
  snippet: string;
  /** The share of the question's weight (its words' rarity) that the chunk matches, 0 to 1. */
  coverage: number;
};

export type Term = { lexeme: string; df: number; idf: number; concept: number[] | null };

/**
 * The question's lexemes and their synonyms' with their document frequency and BM25 idf in the project, and
 * the concept vectors of the question's own words; when the statistics were computed.
 */
export async function questionTerms(db: Db, projectId: string, query: string) {
  // A project without sources (most chats of a project that has none) costs this one statement.
  const [stats] = await rows<{
    chunks: number | null;
    avgLength: number | null;
    computedAt: string | null;
    hasSources: boolean;
  }>(
    db,
    sql`select s.chunks, s.avg_length as "avgLength", s.computed_at::text as "computedAt",
          exists (select 1 from sources where project_id = ${projectId} and deleted_at is null) as "hasSources"
        from (select 1) one left join search_stats s on s.project_id = ${projectId}`,
  );
  if (!stats.hasSources) return { avgLength: 0, computedAt: null, terms: [] };
  const n = Math.max(stats.chunks ?? 0, 1);
  const terms = await rows<{ lexeme: string; df: number; synonym: boolean; concept: number[] | null }>(
    db,
    sql`select distinct on (q.lexeme) q.lexeme, coalesce(t.df, 0)::int as df, q.synonym,
          case when q.synonym then null else to_json(t.concept) end as concept
        from (select lexeme, false as synonym from unnest(to_tsvector('english', ${query}))
              union all
              select lexeme, true from unnest(to_tsvector('english', ${synonymsOf(query)}))) q
        left join search_terms t on t.project_id = ${projectId} and t.lexeme = q.lexeme
        order by q.lexeme, q.synonym`,
  );
  return {
    avgLength: stats.avgLength ?? 100,
    computedAt: stats.computedAt,
    terms: terms.map((t): Term => {
      const df = Math.min(t.df, n);
      const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
      return { lexeme: t.lexeme, df, idf: t.synonym ? idf * SYNONYM_WEIGHT : idf, concept: t.concept };
    }),
  };
}

/** The rarest words whose postings fit the budget (the rarest always): the candidates hold one of them. */
function selective(terms: Term[]): Term[] {
  const byRarity = [...terms].sort((a, b) => a.df - b.df);
  const chosen: Term[] = [];
  let postings = 0;
  for (const term of byRarity) {
    if (chosen.length > 0 && postings + term.df > CANDIDATE_BUDGET) break;
    chosen.push(term);
    postings += term.df;
  }
  return chosen;
}

/** A lexeme as tsquery input: quoted, so that '.', ':' or '&' in it are not operators. */
const quoted = (lexeme: string) => `'${lexeme.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
/**
 * A constant of the ranking, written into the statement (a parameter would be typed from its first use), as a
 * float8: arithmetic in numeric, a bare literal's type, cost several times more over thousands of candidates.
 */
const num = (n: number) => sql.raw(`${n.toFixed(4)}::float8`);
const tsquery = (terms: Term[]) => terms.map((t) => quoted(t.lexeme)).join(' | ');

/** A page as a ranking found it: its best chunk (none for a page found by concept only). */
type RankedPage = { documentId: string; chunkId: number | null; score: number; coverage: number };

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
  const pages = fuse([...byWords] as unknown as RankedPage[], byConcept).slice(0, p.limit);
  return pages.length === 0 ? [] : hits(db, p.projectId, pages, p.snippets === false ? null : tsquery(terms));
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
 * The pages' chunks in order, each with its snippet (`query` null: none): a page's best chunk, or for a page
 * found by concept only its first. A page whose source was deleted meanwhile is left out.
 */
async function hits(db: Db, projectId: string, pages: RankedPage[], query: string | null): Promise<SearchHit[]> {
  const snippet =
    query === null
      ? sql`''`
      : sql`ts_headline('english', c.body, ${query}::tsquery, 'MaxWords=40, MinWords=20, StartSel="", StopSel=""')`;
  const wanted = JSON.stringify(pages.map((page, ord) => ({ ord, ...page })));
  return rows<SearchHit>(
    db,
    sql`with wanted as (
          select w.*, coalesce(w."chunkId",
            (select id from chunks where document_id = w."documentId" order by position limit 1)) as id
          from json_to_recordset(${wanted}::json)
            as w(ord int, "documentId" uuid, "chunkId" bigint, score float8, coverage float8)
        )
        select c.id, c.document_id as "documentId", c.source_id as "sourceId", c.title, c.section, c.url, c.body,
          w.score, w.coverage, ${snippet} as snippet
        from wanted w join chunks c on c.id = w.id
        where c.source_id <> all (array(
          select id from sources where project_id = ${projectId} and deleted_at is not null))
        order by w.ord`,
  );
}

/**
 * The word ranking of searchChunks for the question's terms: the best `limit` pages, each with its best chunk. Each term's weighted frequency in a
 * candidate is ts_rank of that one term (it grows with the occurrences and with their place, and saturates);
 * BM25 turns it into the term's score with the chunk's length, and the term's rarity weighs it.
 */
export function rankingStatement(terms: Term[], avgLength: number, p: { projectId: string; limit: number }): SQL {
  const totalIdf = terms.reduce((sum, t) => sum + t.idf, 0);
  const tf = (i: number) => sql.raw(`r${i}`);
  const frequencies = sql.join(
    terms.map((t, i) => sql`ts_rank(${WEIGHTS}::float4[], c.tsv, ${quoted(t.lexeme)}::tsquery, 0) * 10 as ${tf(i)}`),
    sql`, `,
  );
  // BM25's length normalisation of the candidate's term frequencies.
  const norm = sql`${num(K1)} * (1 - ${num(B)} + ${num(B)} * length(c.tsv) / ${num(avgLength)})`;
  const score = sql.join(
    terms.map((t, i) => sql`${num(t.idf)} * ${tf(i)} * ${num(K1 + 1)} / (${tf(i)} + norm)`),
    sql` + `,
  );
  // On a page's best chunk (the first of its window), its score and the next ones' weighed.
  const pageScore = sql.join(
    PAGE_WEIGHTS.map((w, i) =>
      i === 0 ? sql`score` : sql`${num(w)} * coalesce(lead(score, ${sql.raw(String(i))}) over w, 0)`,
    ),
    sql` + `,
  );
  const matched = sql.join(
    terms.map((t, i) => sql`case when ${tf(i)} > 0 then ${num(t.idf)} else 0 end`),
    sql` + `,
  );
  return sql`
    with candidates as materialized (
      -- Materialized: each frequency is computed once (inlined, every use of r0 would call ts_rank again).
      select c.id, c.document_id, ${norm} as norm, ${frequencies}
      from chunks c
      where c.project_id = ${p.projectId} and c.tsv @@ ${tsquery(selective(terms))}::tsquery
        and c.source_id <> all (array(
          select id from sources where project_id = ${p.projectId} and deleted_at is not null))
    ),
    scored as (select id, document_id, ${score} as score, ${matched} as matched from candidates),
    ranked as (
      select id, document_id, matched, row_number() over w as nth, ${pageScore} as page_score
      from scored window w as (partition by document_id order by score desc, id)
    )
    select document_id as "documentId", id as "chunkId", page_score::float8 as score,
      (matched / ${num(totalIdf)})::float8 as coverage
    from ranked where nth = 1 order by page_score desc, id limit ${p.limit}`;
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
