import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { getThread, listThreads, type ThreadRow } from '../db/queries/threads.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import { errors, PROJECT_ERRORS, ProjectParams, Uuid } from '../schemas/common.js';
import { ThreadDetail, ThreadPage } from '../schemas/threads.js';
import { notFound } from '../errors.js';

const iso = (ts: string) => new Date(ts).toISOString();

export function toThread(row: ThreadRow) {
  return {
    id: row.id,
    project: row.project_id,
    created_at: iso(row.created_at),
    first_question: row.first_question,
    total_questions: row.total_questions,
  };
}

const DateTimeFilter = (description: string) =>
  Type.String({ format: 'date-time', description: `${description} (ISO 8601 date-time with offset)` });

const ListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'the `next` of the previous page' })),
    created_after: Type.Optional(DateTimeFilter('threads created at or after this time')),
    created_before: Type.Optional(DateTimeFilter('threads created before this time')),
  },
  { additionalProperties: false },
);

const ThreadParams = Type.Composite([ProjectParams, Type.Object({ thread_id: Uuid() })]);

const threads: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/threads/',
    {
      schema: {
        tags: ['threads'],
        summary: 'Threads of the project, newest first, cursor-paginated',
        security: [{ apiKey: [] }],
        params: ProjectParams,
        querystring: ListQuery,
        response: { 200: ThreadPage, ...errors(...PROJECT_ERRORS) },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await listThreads(app.db, {
        projectId: request.project.id,
        limit: q.limit,
        cursor: q.cursor === undefined ? undefined : decodeCursor(q.cursor),
        createdAfter: q.created_after,
        createdBefore: q.created_before,
      });
      return { results: page.rows.map(toThread), next: page.next && encodeCursor(page.next) };
    },
  );

  app.get(
    '/threads/:thread_id/',
    {
      schema: {
        tags: ['threads'],
        summary: 'One thread with its questions and answers in order',
        security: [{ apiKey: [] }],
        params: ThreadParams,
        response: { 200: ThreadDetail, ...errors(...PROJECT_ERRORS, 404) },
      },
    },
    async (request) => {
      const row = await getThread(app.db, { projectId: request.project.id, threadId: request.params.thread_id });
      if (!row) throw notFound('thread');
      return {
        ...toThread(row),
        question_answers: row.question_answers.map((qa) => ({ ...qa, created_at: iso(qa.created_at) })),
      };
    },
  );
};

export default threads;
