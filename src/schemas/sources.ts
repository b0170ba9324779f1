import { Type, type Static } from '@sinclair/typebox';
import { refreshInterval, sourceStatus, sourceType } from '../db/schema/index.js';
import { NotBlank, Nullable, ProjectParams, Timestamp, Trimmed, Uuid } from './common.js';
import { check } from './validation.js';

export const literals = <T extends string>(values: readonly T[], description?: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    { description },
  );

export const SourceParams = Type.Composite([ProjectParams, Type.Object({ source_id: Uuid('source id') })]);

export const Url = (description: string) => Type.String({ format: 'uri', maxLength: 2000, description });
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
