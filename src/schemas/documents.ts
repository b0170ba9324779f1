import { Type, type Static } from '@sinclair/typebox';
import { documentStatus } from '../db/schema/index.js';
import { NotBlank, Nullable, Timestamp, Uuid } from './common.js';
import { literals, SourceParams, Url } from './sources.js';

/** An uploaded document's text, at most (in UTF-8). */
export const MAX_CONTENT_BYTES = 5 * 2 ** 20;
/** The body of a document's PUT: its content JSON-escaped (a newline takes two bytes), and the rest. */
export const DOCUMENT_BODY_LIMIT = 2 * MAX_CONTENT_BYTES + 64 * 1024;

export const DocumentParams = Type.Composite([SourceParams, Type.Object({ document_id: Uuid('document id') })]);

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
