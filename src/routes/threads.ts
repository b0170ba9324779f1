import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { setUserLabel } from '../db/queries/classification.js';
import { getThread } from '../db/queries/threads.js';
import { listThreads } from '../db/queries/thread-list.js';
import { encodeCursor, listQuery } from '../schemas/cursor.js';
import { errors, ProjectParams, Uuid } from '../schemas/common.js';
import { ThreadFilters, toListFilters } from '../schemas/thread-filters.js';
import { ThreadDetail, ThreadPage, toThread, toThreadDetail } from '../schemas/threads.js';
import { notFound } from '../errors.js';
import { pageRequest } from './paging.js';

const ListQuery = listQuery(ThreadFilters);

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
      const { filters, limit, after } = pageRequest('threads', request.query, ThreadFilters);
      const listed = { projectId: request.project.id, limit, cursor: after, ...toListFilters(filters) };
      const page = await listThreads(app.db, listed);
      return { results: page.threads.map(toThread), next: page.next && encodeCursor('threads', filters, page.next) };
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
