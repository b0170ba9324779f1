import { sql } from 'drizzle-orm';
import { rows, type Db } from '../client.js';
import type { RetrievedChunk, Retriever } from '../../models/retriever.js';

// Full-text search over a project's chunks, ranked by BM25: a word counts for more the rarer it is in the
// project's documentation (search_terms, recomputed in the background as sources change), a match in the
// title or the headings for more than one in the text, and a long chunk's matches for a little less.
//
// A question is matched as people ask it: its words are stemmed and stop words dropped (to_tsvector), and
// any of them may match (an OR), so a question sharing only some words with the answer still finds it.
// Ranking every chunk that holds a common word would read much of the project, so the candidates are the
// chunks holding the question's rarer words (as many of them as CANDIDATE_BUDGET postings allow, the rarest
// always); every word of the question then counts in the score of those.

/** BM25's term-frequency saturation and length normalisation. */
const K1 = 1.2;
const B = 0.5;
/** ts_rank's weights of a word's occurrences by place: {text, -, headings, title}. */
const WEIGHTS = '{0.1, 0.1, 0.25, 0.35}';
/** The postings (chunks holding a word) candidates are chosen from, at most, past the rarest word's. */
const CANDIDATE_BUDGET = 3000;

export type SearchHit = RetrievedChunk & {
  snippet: string;
  /** The share of the question's weight (its words' rarity) that the chunk matches, 0 to 1. */
  coverage: number;
};

type Term = { lexeme: string; df: number; idf: number };

/** The question's lexemes with their document frequency and BM25 idf in the project. */
async function questionTerms(db: Db, projectId: string, query: string) {
  const [stats] = await rows<{ chunks: number; avgLength: number }>(
    db,
    sql`select chunks, avg_length as "avgLength" from search_stats where project_id = ${projectId}`,
  );
  const n = Math.max(stats?.chunks ?? 0, 1);
  const terms = await rows<{ lexeme: string; df: number }>(
    db,
    sql`select q.lexeme, coalesce(t.df, 0)::int as df
        from unnest(to_tsvector('english', ${query})) q
        left join search_terms t on t.project_id = ${projectId} and t.lexeme = q.lexeme`,
  );
  return {
    avgLength: stats?.avgLength ?? 100,
    terms: terms.map((t): Term => {
      const df = Math.min(t.df, n);
      return { lexeme: t.lexeme, df, idf: Math.log(1 + (n - df + 0.5) / (df + 0.5)) };
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
/** A constant of the ranking, written into the statement (a parameter would be typed from its first use). */
const num = (n: number) => sql.raw(n.toFixed(4));
const tsquery = (terms: Term[]) => terms.map((t) => quoted(t.lexeme)).join(' | ');

/** The chunks of the project's live sources best matching `query`, best first, at most two per document. */
export async function searchChunks(
  db: Db,
  p: { projectId: string; query: string; limit: number },
): Promise<SearchHit[]> {
  const { terms, avgLength } = await questionTerms(db, p.projectId, p.query);
  if (terms.length === 0) return [];
  const totalIdf = terms.reduce((sum, t) => sum + t.idf, 0);
  const termJson = JSON.stringify(terms.map((t) => ({ q: quoted(t.lexeme), idf: t.idf })));
  return rows<SearchHit>(
    db,
    sql`
    with terms as (
      select q::tsquery as q, idf from json_to_recordset(${termJson}::json) as t(q text, idf float8)
    ),
    candidates as (
      select c.id, c.document_id, c.source_id, c.title, c.section, c.url, c.body, c.tsv
      from chunks c
      where c.project_id = ${p.projectId} and c.tsv @@ ${tsquery(selective(terms))}::tsquery
        and c.source_id <> all (array(
          select id from sources where project_id = ${p.projectId} and deleted_at is not null))
    ),
    scored as (
      select c.*, s.score, s.matched,
        row_number() over (partition by c.document_id order by s.score desc) as nth
      from candidates c,
      lateral (
        select sum(t.idf * r.tf * ${num(K1 + 1)} / (r.tf + ${num(K1)} * (1 - ${num(B)} + ${num(B)} * length(c.tsv) / ${avgLength}::float8))) as score,
               sum(t.idf) filter (where r.tf > 0) as matched
        from terms t, lateral (select ts_rank(${WEIGHTS}::float4[], c.tsv, t.q, 0) * 10 as tf) r
      ) s
    )
    select id, document_id as "documentId", source_id as "sourceId", title, section, url, body,
      score::float8 as score, (matched / ${totalIdf}::float8) as coverage,
      ts_headline('english', body, ${tsquery(terms)}::tsquery,
        'MaxWords=40, MinWords=20, MaxFragments=2, FragmentDelimiter=" … ", StartSel="", StopSel=""') as snippet
    from scored where nth <= 2
    order by score desc, id
    limit ${p.limit}`,
  );
}

/** Below this share of the question's weight, a chunk is not taken as covering the question. */
export const MIN_COVERAGE = 0.4;

/** The chat's retriever: the best chunks that cover enough of the question, or none. */
export function createRetriever(db: Db): Retriever {
  return {
    async retrieve(projectId, question, limit = 5) {
      const hits = await searchChunks(db, { projectId, query: question, limit });
      return hits.filter((h) => h.coverage >= MIN_COVERAGE);
    },
  };
}

/**
 * Recomputes a project's word statistics from its live sources' chunks: each lexeme's document frequency
 * (ts_stat's ndoc) and the chunks' count and average length. One transaction: search reads the old or the
 * new statistics, never half of them.
 */
export async function recomputeSearchStats(db: Db, projectId: string): Promise<void> {
  const live = sql`from chunks where project_id = ${projectId} and source_id not in (
    select id from sources where project_id = ${projectId} and deleted_at is not null)`;
  await db.transaction(async (tx) => {
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
