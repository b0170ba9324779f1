import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import {
  createSource,
  deleteDocument,
  deleteSource,
  getSource,
  listDocuments,
  listSources,
  putDocument,
  refreshSource,
  type NewSourceFields,
} from '../db/queries/sources.js';
import { errors, ErrorSchema, ProjectParams } from '../schemas/common.js';
import { encodeCursor } from '../schemas/cursor.js';
import {
  Document,
  DOCUMENT_BODY_LIMIT,
  DocumentFilters,
  DocumentListQuery,
  DocumentParams,
  MAX_CONTENT_BYTES,
  NewDocument,
  NewSource,
  newSourceProblem,
  Source,
  SourceParams,
  toDocument,
  toSource,
} from '../schemas/sources.js';
import { badRequest, conflict, ErrorCode, notFound } from '../errors.js';
import { refusedUrl } from '../net/address-guard.js';
import { normaliseUrl } from '../sources/urls.js';
import { pageRequest } from './paging.js';

const base = { tags: ['sources'], security: [{ apiKey: [] }] };
const invalid = (message: string) => badRequest(message, ErrorCode.VALIDATION_FAILED);

/** A citation link: http(s) only, in its one spelling. */
function linkUrl(raw: string | undefined, field: string): string | null {
  if (raw === undefined) return null;
  const url = normaliseUrl(raw);
  if (!url) throw invalid(`${field}: an http or https URL`);
  return url;
}

const sources: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  /** The stored fields of a new source, its type's rules checked: a website's URL as the crawler may reach it. */
  const sourceFields = async (body: NewSource): Promise<NewSourceFields> => {
    const name = body.name.trim();
    if (body.type === 'files')
      return { type: 'files', name, url: null, include: [], exclude: [], maxPages: 5000, refresh: 'never' };
    // Credentials in a URL end up in lists and logs; a crawler that needs them is not what this is for.
    const parsed = URL.parse(body.url);
    if (parsed && (parsed.username || parsed.password))
      throw invalid('url: credentials (user:password@) are not accepted in the URL');
    const url = linkUrl(body.url, 'url')!;
    const refused = await refusedUrl(url, app.config.SOURCES_ALLOW_PRIVATE);
    if (refused) throw badRequest(`url: ${refused}`);
    return {
      type: 'website',
      name,
      url,
      include: body.include ?? [],
      exclude: body.exclude ?? [],
      maxPages: body.max_pages ?? 5000,
      refresh: body.refresh ?? 'weekly',
    };
  };

  app.post(
    '/sources',
    {
      // Before the union's validation: each type's own refusal, said for that type.
      preValidation: (request, _reply, done) => {
        const problem = newSourceProblem(request.body);
        done(problem ? invalid(problem) : undefined);
      },
      schema: {
        ...base,
        summary: 'Add a source: a website to crawl (its first crawl starts at once), or files put through the API',
        description:
          'A website: `url` (http or https, without credentials, reaching a public address), optional `include` and ' +
          '`exclude` path prefixes, `max_pages` (1 to 100,000, default 5,000) and `refresh` (daily, weekly by ' +
          "default, or never). The crawl stays within the start URL's origin and directory. Files: only a name; " +
          'documents are then put with PUT .../documents.',
        params: ProjectParams,
        body: NewSource,
        response: { 201: Source },
      },
    },
    async (request, reply) => {
      const fields = await sourceFields(request.body);
      const source = await createSource(app.db, { projectId: request.project.id, ...fields });
      return reply.code(201).send(toSource(source));
    },
  );

  app.get(
    '/sources',
    {
      schema: {
        ...base,
        summary: "The project's sources, oldest first, with their documents counted",
        params: ProjectParams,
        response: { 200: Type.Object({ results: Type.Array(Source) }) },
      },
    },
    async (request) => ({ results: (await listSources(app.db, { projectId: request.project.id })).map(toSource) }),
  );

  app.get(
    '/sources/:source_id',
    {
      schema: { ...base, summary: 'One source', params: SourceParams, response: { 200: Source, ...errors(404) } },
    },
    async (request) => {
      const source = await getSource(app.db, { projectId: request.project.id, sourceId: request.params.source_id });
      if (!source) throw notFound('source');
      return toSource(source);
    },
  );

  app.post(
    '/sources/:source_id/refresh',
    {
      schema: {
        ...base,
        summary: 'Refresh a source now: a website is crawled again (409 while it is), a files source re-indexed',
        description:
          'A refresh sends conditional requests and compares content: unchanged pages cost no indexing, and search ' +
          'answers from the previous index until each page is re-indexed.',
        params: SourceParams,
        response: { 202: Source, ...errors(404, 409) },
      },
    },
    async (request, reply) => {
      const source = await refreshSource(app.db, {
        projectId: request.project.id,
        sourceId: request.params.source_id,
        lanes: app.config.CRAWL_CONCURRENCY,
      });
      if (!source) throw notFound('source');
      if (source === 'busy') throw conflict('this source is being crawled; refresh it once the crawl has ended');
      return reply.code(202).send(toSource(source));
    },
  );

  app.delete(
    '/sources/:source_id',
    {
      schema: {
        ...base,
        summary: 'Delete a source: its documents leave search at once, its rows are removed in the background',
        params: SourceParams,
        response: { 204: Type.Null({ description: 'deleted' }), ...errors(404) },
      },
    },
    async (request, reply) => {
      if (!(await deleteSource(app.db, { projectId: request.project.id, sourceId: request.params.source_id })))
        throw notFound('source');
      return reply.code(204).send(null);
    },
  );

  app.put(
    '/sources/:source_id/documents',
    {
      bodyLimit: DOCUMENT_BODY_LIMIT,
      schema: {
        ...base,
        summary:
          'Put a document into a files source, by its path (replacing the one there); it is indexed within seconds',
        description:
          'content: at most 5 MB in UTF-8 (the JSON body at most 10 MB). Until it is indexed, search answers from its ' +
          'previous version, if any. A website source answers 409: its documents are its pages.',
        params: SourceParams,
        body: NewDocument,
        response: {
          202: Document,
          ...errors(404, 409),
          413: { ...ErrorSchema, description: 'Body over 10 MB' },
        },
      },
    },
    async (request, reply) => {
      const { path, content, content_type: contentType, title } = request.body;
      if (Buffer.byteLength(content) > MAX_CONTENT_BYTES)
        throw invalid('content: at most 5 MB (5,242,880 bytes) in UTF-8');
      const document = { path, content, contentType, title: title ?? null, url: linkUrl(request.body.url, 'url') };
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

export default sources;
