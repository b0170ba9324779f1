import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { setUserLabel } from '../db/queries/classification.js';
import { getThread, listThreads } from '../db/queries/threads.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import { DateTimeFilter, DateWindow, errors, ProjectParams, Uuid } from '../schemas/common.js';
import { CategorySource, ThreadDetail, ThreadPage, toThread, toThreadDetail } from '../schemas/threads.js';
import { notFound } from '../errors.js';

const ListQuery = Type.Composite(
  [
    DateWindow,
    Type.Object({
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
      cursor: Type.Optional(Type.String({ maxLength: 200, description: 'the `next` of the previous page' })),
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
  ],
  { additionalProperties: false },
);

const ThreadParams = Type.Composite([ProjectParams, Type.Object({ thread_id: Uuid() })]);
const base = { tags: ['threads'], security: [{ apiKey: [] }] };

const threads: FastifyPluginAsyncTypebox = async (app) => {
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
        summary: 'Threads of the project, newest first (with updated_since: oldest change first), cursor-paginated, with their category',
        params: ProjectParams,
        querystring: ListQuery,
        response: { 200: ThreadPage },
      },
    },
    async (request) => {
      const q = request.query;
      const sync = q.updated_since !== undefined;
      const page = await listThreads(app.db, {
        projectId: request.project.id,
        limit: q.limit ?? 20,
        cursor: q.cursor === undefined ? undefined : decodeCursor(q.cursor, sync),
        createdAfter: q.created_after,
        createdBefore: q.created_before,
        updatedSince: q.updated_since,
        categoryId: q.category_id === 'none' ? null : q.category_id,
        categorySource: q.category_source,
      });
      return { results: page.threads.map(toThread), next: page.next && encodeCursor(page.next, sync) };
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
};

export default threads;
