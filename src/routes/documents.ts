import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { deleteDocument, listDocuments, putDocument } from '../db/queries/documents.js';
import { errors, ErrorSchema } from '../schemas/common.js';
import { encodeCursor } from '../schemas/cursor.js';
import {
  Document,
  DOCUMENT_BODY_LIMIT,
  DocumentFilters,
  DocumentListQuery,
  DocumentParams,
  MAX_CONTENT_BYTES,
  NewDocument,
  toDocument,
} from '../schemas/documents.js';
import { SourceParams } from '../schemas/sources.js';
import { badRequest, conflict, ErrorCode, notFound } from '../errors.js';
import { normaliseUrl } from '../sources/urls.js';
import { pageRequest } from './paging.js';

const base = { tags: ['sources'], security: [{ apiKey: [] }] };
const invalid = (message: string) => badRequest(message, ErrorCode.VALIDATION_FAILED);

/** A document's link, which answers cite: http(s) only, in its one spelling. */
function citedUrl(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  const url = normaliseUrl(raw);
  if (!url) throw invalid('url: an http or https URL');
  return url;
}

// The documents of a source: a files source's are put here; a website's are its pages, listed with why any
// failed or was skipped.
const documents: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  app.put(
    '/sources/:source_id/documents',
    {
      bodyLimit: DOCUMENT_BODY_LIMIT,
      schema: {
        ...base,
        summary:
          'Put a document into a files source, by its path (replacing the one there); it is indexed within seconds',
        description:
          'content: at most 5 MB in UTF-8 (the JSON body a little over 10 MB). Until it is indexed, search answers from its ' +
          'previous version, if any. A website source answers 409: its documents are its pages.',
        params: SourceParams,
        body: NewDocument,
        response: {
          202: Document,
          ...errors(404, 409),
          413: { ...ErrorSchema, description: `Body over ${DOCUMENT_BODY_LIMIT.toLocaleString('en-US')} bytes` },
        },
      },
    },
    async (request, reply) => {
      const { path, content, content_type: contentType, title } = request.body;
      if (Buffer.byteLength(content) > MAX_CONTENT_BYTES)
        throw invalid('content: at most 5 MB (5,242,880 bytes) in UTF-8');
      const document = { path, content, contentType, title: title ?? null, url: citedUrl(request.body.url) };
      const doc = await putDocument(app.db, {
        projectId: request.project.id,
        sourceId: request.params.source_id,
        lanes: app.config.CRAWL_CONCURRENCY,
        document,
      });
      if (!doc) throw notFound('source');
      if (doc === 'website') throw conflict('documents are put into files sources only');
      return reply.code(202).send(toDocument(doc));
    },
  );

  app.get(
    '/sources/:source_id/documents',
    {
      schema: {
        ...base,
        summary: "The source's documents, oldest first, cursor-paginated; `status` lists only those in it",
        params: SourceParams,
        querystring: DocumentListQuery,
        response: {
          200: Type.Object({
            results: Type.Array(Document),
            next: Type.Union([Type.String(), Type.Null()], {
              description: 'cursor of the next page; null on the last page',
            }),
          }),
          ...errors(404),
        },
      },
    },
    async (request) => {
      const { source_id: sourceId } = request.params;
      // Each source's list is its own: a cursor of one source's documents is refused on another's.
      const list = `documents:${sourceId}`;
      const { filters, limit, after } = pageRequest(list, request.query, DocumentFilters);
      const page = await listDocuments(app.db, {
        projectId: request.project.id,
        sourceId,
        status: filters.status,
        limit,
        after,
      });
      if (!page) throw notFound('source');
      return { results: page.rows.map(toDocument), next: page.next && encodeCursor(list, filters, page.next) };
    },
  );

  app.delete(
    '/sources/:source_id/documents/:document_id',
    {
      schema: {
        ...base,
        summary: 'Delete a document: it leaves search at once (a crawled page comes back if the next crawl finds it)',
        description: "A website's pages cannot be deleted while it is crawled (409).",
        params: DocumentParams,
        response: { 204: Type.Null({ description: 'deleted' }), ...errors(404, 409) },
      },
    },
    async (request, reply) => {
      const { source_id: sourceId, document_id: documentId } = request.params;
      const deleted = await deleteDocument(app.db, { projectId: request.project.id, sourceId, documentId });
      if (!deleted) throw notFound('document');
      if (deleted === 'busy') throw conflict('this source is being crawled; delete its pages once the crawl has ended');
      return reply.code(204).send(null);
    },
  );
  done();
};

export default documents;
