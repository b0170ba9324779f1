import { Readable } from 'node:stream';
import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { stringify } from 'csv-stringify/sync';
import type { FastifyInstance } from 'fastify';
import { setUserLabel } from '../db/queries/classification.js';
import { getThread } from '../db/queries/threads.js';
import { withQuestionAnswers } from '../db/queries/thread-export.js';
import {
  listThreads,
  type ListThreadsParams,
  type ThreadCursor,
  type ThreadRecord,
} from '../db/queries/thread-list.js';
import { decodeCursor, encodeCursor } from '../schemas/cursor.js';
import { DateTimeFilter, DateWindow, errors, ProjectParams, Uuid } from '../schemas/common.js';
import {
  CategorySource,
  ThreadDetail,
  ThreadPage,
  toExportThread,
  toThread,
  toThreadDetail,
} from '../schemas/threads.js';
import { badRequest, ErrorCode, notFound } from '../errors.js';

const Filters = Type.Composite([
  DateWindow,
  Type.Object({
    category_id: Type.Optional(
      Type.Union([Uuid(), Type.Literal('none')], { description: 'a category id, or `none` for unlabelled threads' }),
    ),
    category_source: Type.Optional(CategorySource),
    updated_since: Type.Optional(
      DateTimeFilter(
        'threads changed at or after this time, oldest change first (incremental sync: ask again from the largest updated_at seen; the bound is inclusive)',
      ),
    ),
  }),
]);

const ListQuery = Type.Composite(
  [
    Filters,
    Type.Object({
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
      cursor: Type.Optional(
        Type.String({
          maxLength: 1000,
          description: 'the `next` of the previous page: it carries the filters, so send it alone',
        }),
      ),
    }),
  ],
  { additionalProperties: false },
);

const ExportQuery = Type.Composite(
  [
    Filters,
    Type.Object({
      format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('ndjson')], { default: 'csv' })),
    }),
  ],
  { additionalProperties: false },
);

type FilterQuery = {
  created_after?: string;
  created_before?: string;
  category_id?: string;
  category_source?: 'classifier' | 'user';
  updated_since?: string;
};
const filters = (q: FilterQuery): Omit<ListThreadsParams, 'projectId' | 'limit' | 'cursor'> => ({
  createdAfter: q.created_after,
  createdBefore: q.created_before,
  updatedSince: q.updated_since,
  categoryId: q.category_id === 'none' ? null : q.category_id,
  categorySource: q.category_source,
});

// The export reads the list's pages, this many threads each: memory stays flat, and no statement runs long.
const EXPORT_PAGE = 2000;
const CSV_COLUMNS = [
  'id',
  'created_at',
  'updated_at',
  'first_question',
  'total_questions',
  'category_id',
  'category_name',
  'category_source',
  'categorized_at',
];

/**
 * Every thread the filters match, a page at a time, in the list's order. The first page is read before
 * anything is sent, so a database that is down answers the usual JSON 503, not a cut-off file.
 */
async function exportPages(
  app: FastifyInstance,
  p: Omit<ListThreadsParams, 'limit'>,
): Promise<AsyncGenerator<ThreadRecord[]>> {
  const first = await listThreads(app.db, { ...p, limit: EXPORT_PAGE });
  return (async function* () {
    let page = first;
    yield page.threads;
    while (page.next) {
      page = await listThreads(app.db, { ...p, limit: EXPORT_PAGE, cursor: page.next });
      yield page.threads;
    }
  })();
}

/** CSV (RFC 4180: a header row, CRLF, csv-stringify's quoting; empty fields for null), a page per chunk. */
async function* csv(pages: AsyncGenerator<ThreadRecord[]>) {
  let header = true;
  for await (const page of pages) {
    const records = page.map((t) => {
      const th = toThread(t);
      return [
        th.id,
        th.created_at,
        th.updated_at,
        th.first_question,
        th.total_questions,
        th.category?.id,
        th.category?.name,
        th.category_source,
        th.categorized_at,
      ];
    });
    yield stringify(records, { header, columns: CSV_COLUMNS, record_delimiter: 'windows' });
    header = false;
  }
}

/** NDJSON: a thread with its question-answers per line, as the thread detail shows it, with their reactions. */
async function* ndjson(app: FastifyInstance, projectId: string, pages: AsyncGenerator<ThreadRecord[]>) {
  for await (const page of pages) {
    const details = await withQuestionAnswers(app.db, projectId, page);
    yield details.map((t) => `${JSON.stringify(toExportThread(t))}\n`).join('');
  }
}

const ThreadParams = Type.Composite([ProjectParams, Type.Object({ thread_id: Uuid() })]);
const base = { tags: ['threads'], security: [{ apiKey: [] }] };

const threads: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  const findThread = async (projectId: string, threadId: string) => {
    const thread = await getThread(app.db, { projectId, threadId });
    if (!thread) throw notFound('thread');
    return toThreadDetail(thread);
  };

  app.get(
    '/threads/',
    {
      schema: {
        ...base,
        summary:
          'Threads of the project, newest first (with updated_since: oldest change first), cursor-paginated, with their category',
        params: ProjectParams,
        querystring: ListQuery,
        response: { 200: ThreadPage },
      },
    },
    async (request) => {
      const { limit = 20, cursor, ...given } = request.query;
      let f: FilterQuery = given;
      let position: ThreadCursor | undefined;
      if (cursor !== undefined) {
        const c = decodeCursor('threads', cursor, given, Filters);
        if (!c.ok) throw badRequest(c.message, ErrorCode.INVALID_CURSOR);
        ({ filters: f, position } = c as { filters: FilterQuery; position: ThreadCursor });
      }
      const page = await listThreads(app.db, { projectId: request.project.id, limit, cursor: position, ...filters(f) });
      return { results: page.threads.map(toThread), next: page.next && encodeCursor('threads', f, page.next) };
    },
  );

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
      const pages = await exportPages(app, { projectId, ...filters(request.query) });
      // One page at most waits in the stream for a slow client; the next is read when it has gone.
      const stream = (chunks: AsyncGenerator<string>) => Readable.from(chunks, { highWaterMark: 1 });
      if (request.query.format === 'ndjson') {
        reply
          .header('content-type', 'application/x-ndjson; charset=utf-8')
          .header('content-disposition', 'attachment; filename="threads.ndjson"');
        return reply.send(stream(ndjson(app, projectId, pages)));
      }
      reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="threads.csv"');
      return reply.send(stream(csv(pages)));
    },
  );

  app.get(
    '/threads/:thread_id/',
    {
      schema: {
        ...base,
        summary: 'One thread with its questions and answers in order',
        params: ThreadParams,
        response: { 200: ThreadDetail, ...errors(404) },
      },
    },
    async (request) => findThread(request.project.id, request.params.thread_id),
  );

  app.patch(
    '/threads/:thread_id/',
    {
      schema: {
        ...base,
        summary: "Set the thread's category (the user's label always wins), or null to hand it back to the classifier",
        params: ThreadParams,
        body: Type.Object(
          { category_id: Type.Union([Uuid(), Type.Null()], { description: 'a category of this project, or null' }) },
          { additionalProperties: false },
        ),
        response: { 200: ThreadDetail, ...errors(404) },
      },
    },
    async (request) => {
      const projectId = request.project.id;
      const threadId = request.params.thread_id;
      const found = await setUserLabel(app.db, {
        projectId,
        threadId,
        categoryId: request.body.category_id,
        timeoutSeconds: app.config.CLASSIFICATION_TIMEOUT_SECONDS,
      });
      if (!found) throw notFound('thread');
      return findThread(projectId, threadId);
    },
  );
  done();
};

export default threads;
