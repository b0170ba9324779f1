import { type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { runningCrawls } from '../db/queries/crawls.js';
import { failedJobs, queueByTask } from '../db/queries/jobs.js';
import { badRequest, ErrorCode } from '../errors.js';
import * as S from '../schemas/admin-work.js';
import { base } from './admin-common.js';

/** The work in the background as an operator sees it: the job queue, its failed jobs, the crawls running. */
const adminWork: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  app.get(
    '/jobs',
    {
      schema: {
        ...base,
        summary: 'The job queue per task: jobs waiting, scheduled, running, retrying and failed',
        response: { 200: S.JobQueue },
      },
    },
    async () => ({ results: (await queueByTask(app.db)).map(S.toTaskQueue) }),
  );

  app.get(
    '/jobs/failed',
    {
      schema: {
        ...base,
        summary: 'Failed jobs (attempts spent), newest first, cursor-paginated, with their last error',
        description: "`task` keeps one task's. A failed job stays until an operator removes it; it is never run again.",
        querystring: S.FailedJobsQuery,
        response: { 200: S.FailedJobsPage },
      },
    },
    async (request) => {
      const { limit = 20, cursor, ...given } = request.query;
      let filters = given;
      let beforeId: string | undefined;
      if (cursor !== undefined) {
        const c = S.decodeJobCursor(cursor, given);
        if (!c.ok) throw badRequest(c.message, ErrorCode.INVALID_CURSOR);
        ({ filters, beforeId } = c);
      }
      const page = await failedJobs(app.db, { task: filters.task, limit, beforeId });
      const last = page.rows.at(-1);
      return {
        results: page.rows.map(S.toFailedJob),
        next: page.more && last ? S.encodeJobCursor(filters, last.id) : null,
      };
    },
  );

  app.get(
    '/crawls',
    {
      schema: {
        ...base,
        summary: 'Sources being read now, across projects: website crawls and files being indexed, with their pages',
        description: 'Longest running first. Pages done and pending are those of the current crawl.',
        response: { 200: S.RunningCrawls },
      },
    },
    async () => ({ results: (await runningCrawls(app.db)).map(S.toRunningCrawl) }),
  );
  done();
};

export default adminWork;
