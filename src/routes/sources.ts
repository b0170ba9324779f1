import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import {
  createSource,
  deleteSource,
  getSource,
  listSources,
  refreshSource,
  type NewSourceFields,
} from '../db/queries/sources.js';
import { errors, ProjectParams } from '../schemas/common.js';
import { NewSource, newSourceProblem, Source, SourceParams, toSource } from '../schemas/sources.js';
import { badRequest, conflict, ErrorCode, notFound } from '../errors.js';
import { refusedUrl } from '../net/address-guard.js';
import { normaliseUrl } from '../sources/urls.js';

const base = { tags: ['sources'], security: [{ apiKey: [] }] };
const invalid = (message: string) => badRequest(message, ErrorCode.VALIDATION_FAILED);

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
    const url = normaliseUrl(body.url);
    if (!url) throw invalid('url: an http or https URL');
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

  done();
};

export default sources;
