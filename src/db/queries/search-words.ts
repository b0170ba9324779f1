import { sql, type SQL } from 'drizzle-orm';
import { rows, type Db } from '../client.js';
import { synonymsOf } from '../../sources/synonyms.js';

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
export const tsquery = (terms: Term[]) => terms.map((t) => quoted(t.lexeme)).join(' | ');

/** A page as a ranking found it: its best chunk (none for a page found by concept only). */
export type RankedPage = { documentId: string; chunkId: number | null; score: number; coverage: number };

/**
 * The word ranking of searchChunks for the question's terms: the best `limit` pages, each with its best chunk.
 * Each term's weighted frequency in a candidate is ts_rank of that one term (it grows with the occurrences and
 * with their place, and saturates); BM25 turns it into the term's score with the chunk's length, and the term's
 * rarity weighs it.
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
