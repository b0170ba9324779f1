import { sql } from 'drizzle-orm';
import {
  bigint,
  customType,
  index,
  integer,
  pgEnum,
  pgTable,
  primaryKey,
  real,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { projects } from './projects.js';

export const sourceType = pgEnum('source_type', ['website', 'files']);
export const refreshInterval = pgEnum('source_refresh', ['daily', 'weekly', 'never']);
export const sourceStatus = pgEnum('source_status', ['queued', 'running', 'ready', 'failed']);
// `queued`: known (linked, listed in a sitemap, uploaded) and waiting for its index job.
export const documentStatus = pgEnum('document_status', ['queued', 'indexed', 'failed', 'skipped']);

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/**
 * A project's knowledge source: a website the crawler reads, or files put through the API. A crawl is one
 * pass over the site, named by `crawlId`: every document it reaches is stamped with it, and at its end the
 * documents it did not reach leave the index. A deleted source is hidden at once (`deletedAt`) and its rows
 * are removed in the background.
 */
export const sources = pgTable(
  'sources',
  {
    id: uuid().primaryKey().defaultRandom(),
    projectId: uuid()
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    type: sourceType().notNull(),
    name: text().notNull(),
    // A website's start URL (normalised); null for files.
    url: text(),
    include: text()
      .array()
      .notNull()
      .default(sql`'{}'`),
    exclude: text()
      .array()
      .notNull()
      .default(sql`'{}'`),
    maxPages: integer().notNull().default(5000),
    refresh: refreshInterval().notNull().default('weekly'),
    status: sourceStatus().notNull().default('queued'),
    // Why the last crawl failed as a whole (its start URL unreachable, say); null otherwise.
    error: text(),
    crawlId: uuid(),
    // The site's robots.txt as the current crawl read it (every page job of the crawl obeys the same rules).
    robots: text(),
    crawlStartedAt: timestamp({ withTimezone: true }),
    lastRefreshedAt: timestamp({ withTimezone: true }),
    nextRefreshAt: timestamp({ withTimezone: true }),
    deletedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('sources_project_id_idx').on(t.projectId, t.createdAt),
    index('sources_next_refresh_idx')
      .on(t.nextRefreshAt)
      .where(sql`${t.deletedAt} is null`),
  ],
);

/**
 * One page of a website or one uploaded file. `path` identifies it within its source (a page's URL path and
 * query; a file's given path). `contentHash` of the text last indexed, `etag` and `lastModified` for the
 * next crawl's conditional request; `content` holds an uploaded file until its index job has run.
 */
export const documents = pgTable(
  'documents',
  {
    id: uuid().primaryKey().defaultRandom(),
    sourceId: uuid()
      .notNull()
      .references(() => sources.id, { onDelete: 'cascade' }),
    projectId: uuid()
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    path: text().notNull(),
    url: text(),
    title: text(),
    status: documentStatus().notNull().default('queued'),
    reason: text(),
    contentType: text(),
    content: text(),
    contentHash: text(),
    etag: text(),
    lastModified: text(),
    chunks: integer().notNull().default(0),
    // The crawl that last reached this page (linked, listed, the start URL); a crawl's end removes the pages
    // it did not reach. `checkedCrawlId`: the crawl that last fetched it; reached but not checked is pending.
    crawlId: uuid(),
    checkedCrawlId: uuid(),
    // The crawl lane job (graphile-worker job id) that took this pending page; a job no longer running (its
    // worker killed) holds nothing: the page goes to another lane, or to the same job when it runs again.
    claimedBy: bigint({ mode: 'number' }),
    // The in-scope links of the page as last fetched: an unchanged page (304, same hash) is followed from them.
    links: text().array(),
    indexedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('documents_source_path_key').on(t.sourceId, t.path),
    index('documents_source_status_idx').on(t.sourceId, t.status, t.id),
    index('documents_source_crawl_idx').on(t.sourceId, t.crawlId),
    // The pages a crawl reached and has not checked yet: what its lanes take, and what its end waits for.
    index('documents_crawl_pending_idx')
      .on(t.sourceId, t.crawlId)
      .where(sql`${t.checkedCrawlId} is distinct from ${t.crawlId}`),
  ],
);

/**
 * A section of a document as search finds it. `tsv` weighs the document's title (A), the section's heading
 * path (B) and its text (D). A document's chunks are replaced in one transaction, so search never sees it
 * missing between two versions.
 */
export const chunks = pgTable(
  'chunks',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    projectId: uuid().notNull(),
    sourceId: uuid().notNull(),
    documentId: uuid()
      .notNull()
      .references(() => documents.id, { onDelete: 'cascade' }),
    position: integer().notNull(),
    title: text().notNull(),
    section: text().notNull(),
    url: text(),
    body: text().notNull(),
    // Filled by the trigger chunks_tsv (migration 0013) from title, section and body, unless the insert
    // brings it (a copy of an indexed chunk).
    tsv: tsvector()
      .notNull()
      .default(sql`''::tsvector`),
  },
  (t) => [
    // One index serves the tenant and the words (btree_gin): a search reads only its project's postings.
    index('chunks_project_tsv_idx').using('gin', t.projectId, t.tsv),
    index('chunks_document_id_idx').on(t.documentId),
  ],
);

/**
 * Word statistics of a project's chunks for ranking (BM25's document frequencies), recomputed in the
 * background after its sources change: a lexeme's `df` is the number of chunks holding it.
 */
export const searchTerms = pgTable(
  'search_terms',
  {
    projectId: uuid()
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    lexeme: text().notNull(),
    df: integer().notNull(),
    // The word's vector in the project's concept space (src/sources/concepts.ts); null for a word in fewer
    // than two pages, or before the concepts were computed.
    concept: real().array(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.lexeme] })],
);

/** A page's vector in its project's concept space (src/sources/concepts.ts), of unit length. */
export const pageConcepts = pgTable(
  'page_concepts',
  {
    documentId: uuid()
      .primaryKey()
      .references(() => documents.id, { onDelete: 'cascade' }),
    projectId: uuid()
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    concept: real().array().notNull(),
  },
  (t) => [index('page_concepts_project_id_idx').on(t.projectId)],
);

/** The number of a project's chunks and their average length in lexemes, as of the last recomputation. */
export const searchStats = pgTable('search_stats', {
  projectId: uuid()
    .primaryKey()
    .references(() => projects.id, { onDelete: 'cascade' }),
  chunks: integer().notNull(),
  avgLength: real().notNull(),
  computedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
