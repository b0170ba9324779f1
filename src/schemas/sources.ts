import { Type, type Static } from '@sinclair/typebox';
import { documentStatus, refreshInterval, sourceStatus, sourceType } from '../db/schema/index.js';
import type { SearchHit } from '../db/queries/search.js';
import { NotBlank, Nullable, ProjectParams, Timestamp, Trimmed, Uuid } from './common.js';
import { check } from './validation.js';

/** An uploaded document's text, at most (in UTF-8). */
export const MAX_CONTENT_BYTES = 5 * 2 ** 20;
/** The body of a document's PUT: its content JSON-escaped (a newline takes two bytes), and the rest. */
export const DOCUMENT_BODY_LIMIT = 2 * MAX_CONTENT_BYTES + 64 * 1024;

const literals = <T extends string>(values: readonly T[], description?: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    { description },
  );

export const SourceParams = Type.Composite([ProjectParams, Type.Object({ source_id: Uuid('source id') })]);
export const DocumentParams = Type.Composite([SourceParams, Type.Object({ document_id: Uuid('document id') })]);

const Url = (description: string) => Type.String({ format: 'uri', maxLength: 2000, description });
const Prefixes = (what: string) =>
  Type.Array(NotBlank({ maxLength: 1000, description: 'a path prefix' }), {
    maxItems: 100,
    description: `${what}: path prefixes, absolute ("/docs/api/") or relative to the start URL's directory ("api/")`,
  });

const Name = Trimmed(200, { maxLength: 1000, description: '1 to 200 characters after trimming' });

export const NewWebsite = Type.Object(
  {
    type: Type.Literal('website'),
    name: Name,
    url: Url(
      'the start URL: http or https, without credentials, at a public address; the crawl stays within its origin and directory',
    ),
    include: Type.Optional(Prefixes('only pages under these')),
    exclude: Type.Optional(Prefixes('no page under these')),
    max_pages: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: 'default 5,000' })),
    refresh: Type.Optional(literals(refreshInterval.enumValues, 'default weekly')),
  },
  { additionalProperties: false, description: 'a website, crawled' },
);
export const NewFiles = Type.Object(
  { type: Type.Literal('files'), name: Name },
  { additionalProperties: false, description: 'files, put with PUT .../documents' },
);
export const NewSource = Type.Union([NewWebsite, NewFiles]);
export type NewSource = Static<typeof NewSource>;

/**
 * What is wrong with a new source's body, in words, checked against the schema of its own type; null when
 * nothing is, or when it has no type (the schema then says so). Checked before the union, whose refusal
 * would come from whichever type ajv tried first ("type: website" for a files source with a bad name).
 */
export function newSourceProblem(body: unknown): string | null {
  if (body === null || typeof body !== 'object' || !('type' in body)) return null;
  const schema = body.type === 'website' ? NewWebsite : body.type === 'files' ? NewFiles : null;
  if (!schema) return 'type: one of website, files';
  const result = check(schema, body, { root: 'body' });
  return result.ok ? null : `${result.problem.field}: ${result.problem.rule}`;
}

export const Source = Type.Object({
  id: Uuid(),
  type: literals(sourceType.enumValues),
  name: Type.String(),
  url: Nullable(Type.String({ description: "a website's start URL, normalised; null for files" })),
  include: Type.Array(Type.String()),
  exclude: Type.Array(Type.String()),
  max_pages: Type.Integer(),
  refresh: literals(refreshInterval.enumValues),
  status: literals(sourceStatus.enumValues, 'a files source is running while any of its documents is queued'),
  documents: Type.Object({
    total: Type.Integer({ minimum: 0, description: 'queued ones included' }),
    indexed: Type.Integer({ minimum: 0 }),
    failed: Type.Integer({ minimum: 0 }),
    skipped: Type.Integer({ minimum: 0 }),
  }),
  chunks: Type.Integer({ minimum: 0 }),
  error: Nullable(Type.String({ description: 'why the last crawl failed as a whole; null otherwise' })),
  last_refreshed_at: Nullable(Timestamp()),
  next_refresh_at: Nullable(Timestamp()),
  created_at: Timestamp(),
});

export const NewDocument = Type.Object(
  {
    path: NotBlank({ maxLength: 1000, description: 'identifies the document in its source: a PUT to it replaces it' }),
    content: Type.String({ maxLength: MAX_CONTENT_BYTES, description: 'the text, at most 5 MB in UTF-8' }),
    content_type: literals(['text/markdown', 'text/html', 'text/plain']),
    title: Type.Optional(
      NotBlank({ maxLength: 500, description: "default: the document's own (its <title>, first heading) or path" }),
    ),
    url: Type.Optional(Url('where readers find it: answers cite it (http or https)')),
  },
  { additionalProperties: false },
);
export type NewDocument = Static<typeof NewDocument>;

const DocumentStatus = literals(
  documentStatus.enumValues,
  'queued: waiting for its index job (a crawled page not fetched yet, a file just put)',
);

export const Document = Type.Object({
  id: Uuid(),
  source_id: Uuid(),
  url: Nullable(Type.String()),
  path: Type.String({ description: "a page's URL path and query; a file's given path" }),
  title: Nullable(Type.String()),
  status: DocumentStatus,
  reason: Nullable(
    Type.String({
      description:
        'why it failed or was skipped, in words ("HTTP 404", "not HTML, markdown or text (application/pdf)", "too large (over 5 MB)", "disallowed by robots.txt", "noindex", "duplicate of its canonical URL …"); null otherwise',
    }),
  ),
  chunks: Type.Integer({ minimum: 0 }),
  indexed_at: Nullable(Timestamp()),
});

// The document list's filters, which its cursor carries.
export const DocumentFilters = Type.Object({ status: Type.Optional(DocumentStatus) }, { additionalProperties: false });
export const DocumentListQuery = Type.Object(
  {
    status: Type.Optional(DocumentStatus),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(
      Type.String({ maxLength: 1000, description: 'the `next` of the previous page: it carries the filters' }),
    ),
  },
  { additionalProperties: false },
);

export const SearchQuery = Type.Object(
  {
    query: NotBlank({ maxLength: 1000, description: 'the question or words to look for' }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, default: 5 })),
  },
  { additionalProperties: false },
);

export const SearchResult = Type.Object({
  source_id: Uuid(),
  document_id: Uuid(),
  title: Type.String({ description: "the document's title" }),
  url: Nullable(Type.String({ description: "the section's URL (with its #anchor); null for a file without one" })),
  section: Type.String({ description: 'the heading path, "Install › From source"' }),
  snippet: Type.String({ description: 'the best matching passages of the section, joined by " … "' }),
  score: Type.Number({ description: 'relevance (BM25): higher is better, comparable within one search only' }),
});

export type SourceRow = {
  id: string;
  type: Static<typeof Source>['type'];
  name: string;
  url: string | null;
  include: string[];
  exclude: string[];
  maxPages: number;
  refresh: Static<typeof Source>['refresh'];
  status: Static<typeof Source>['status'];
  total: number;
  indexed: number;
  failed: number;
  skipped: number;
  chunks: number;
  error: string | null;
  lastRefreshedAt: Date | null;
  nextRefreshAt: Date | null;
  createdAt: Date;
};
export const toSource = (s: SourceRow): Static<typeof Source> => ({
  id: s.id,
  type: s.type,
  name: s.name,
  url: s.url,
  include: s.include,
  exclude: s.exclude,
  max_pages: s.maxPages,
  refresh: s.refresh,
  status: s.status,
  documents: { total: s.total, indexed: s.indexed, failed: s.failed, skipped: s.skipped },
  chunks: s.chunks,
  error: s.error,
  last_refreshed_at: s.lastRefreshedAt?.toISOString() ?? null,
  next_refresh_at: s.nextRefreshAt?.toISOString() ?? null,
  created_at: s.createdAt.toISOString(),
});

export type DocumentRow = {
  id: string;
  sourceId: string;
  url: string | null;
  path: string;
  title: string | null;
  status: Static<typeof DocumentStatus>;
  reason: string | null;
  chunks: number;
  indexedAt: Date | null;
};
export const toDocument = (d: DocumentRow): Static<typeof Document> => ({
  id: d.id,
  source_id: d.sourceId,
  url: d.url,
  path: d.path,
  title: d.title,
  status: d.status,
  reason: d.reason,
  chunks: d.chunks,
  indexed_at: d.indexedAt?.toISOString() ?? null,
});

export const toSearchResult = (h: SearchHit): Static<typeof SearchResult> => ({
  source_id: h.sourceId,
  document_id: h.documentId,
  title: h.title,
  url: h.url,
  section: h.section,
  snippet: h.snippet,
  score: h.score,
});
