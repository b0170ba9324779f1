import { Readable } from 'node:stream';
import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { csv, CSV_COLUMNS, exportPages, ndjson } from '../export/threads.js';
import { ProjectParams } from '../schemas/common.js';
import { ThreadFilters, toListFilters } from '../schemas/thread-filters.js';

const ExportQuery = Type.Composite(
  [
    ThreadFilters,
    Type.Object({
      format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('ndjson')], { default: 'csv' })),
    }),
  ],
  { additionalProperties: false },
);

const base = { tags: ['threads'], security: [{ apiKey: [] }] };

/** Every thread of the project the filters match, streamed as a file. */
const threadExport: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  app.get(
    '/threads/export',
    {
      schema: {
        ...base,
        summary:
          'Every thread the filters match, streamed as CSV (the default) or NDJSON (a thread with its question_answers and their feedback per line)',
        description:
          'CSV: RFC 4180, a header row, CRLF line ends, ISO 8601 times, an empty field for null; columns ' +
          `${CSV_COLUMNS.join(', ')}. In the list's order (newest first; with updated_since oldest change first), read a page at a time.`,
        params: ProjectParams,
        querystring: ExportQuery,
        response: {
          200: {
            description: 'the threads, streamed',
            content: {
              'text/csv': { schema: Type.Unsafe<Readable>({ type: 'string' }) },
              'application/x-ndjson': { schema: Type.Unsafe<Readable>({ type: 'string' }) },
            },
          },
        },
      },
    },
    async (request, reply) => {
      const projectId = request.project.id;
      const pages = await exportPages(app.db, { projectId, ...toListFilters(request.query) });
      // One page at most waits in the stream for a slow client; the next is read when it has gone.
      const stream = (chunks: AsyncGenerator<string>) => Readable.from(chunks, { highWaterMark: 1 });
      if (request.query.format === 'ndjson') {
        reply
          .header('content-type', 'application/x-ndjson; charset=utf-8')
          .header('content-disposition', 'attachment; filename="threads.ndjson"');
        return reply.send(stream(ndjson(app.db, projectId, pages)));
      }
      reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="threads.csv"');
      return reply.send(stream(csv(pages)));
    },
  );

  done();
};

export default threadExport;
