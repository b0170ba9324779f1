import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sql } from 'drizzle-orm';
import { rows } from '../db/client.js';
import { errors } from '../schemas/common.js';
import { ErrorCode, unavailable } from '../errors.js';
import { withDeadline } from '../runtime/deadline.js';
import { rootMessage } from '../observability/logger.js';
import { metricsRoute } from '../observability/metrics-route.js';

const Status = Type.Object({ status: Type.String() });
const READY_TIMEOUT_MS = 2000;

const health: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(metricsRoute);

  app.get(
    '/health',
    { schema: { tags: ['operations'], summary: 'The process is up', response: { 200: Status } } },
    () => ({ status: 'ok' }),
  );

  app.get(
    '/ready',
    {
      schema: {
        tags: ['operations'],
        summary: 'The database is reachable',
        response: { 200: Status, ...errors(503) },
      },
    },
    async (request) => {
      const probe = rows(app.db, sql`select 1`);
      let failure: unknown = new Error(`no answer within ${READY_TIMEOUT_MS} ms`);
      const answered = await withDeadline(
        probe.then(
          () => (failure = null),
          (err: unknown) => (failure = err),
        ),
        READY_TIMEOUT_MS,
      );
      if (answered && failure === null) return { status: 'ready' };
      // The database unreachable is what /ready reports: the reason, without a stack.
      request.log.warn({ reason: rootMessage(failure) }, 'readiness check failed');
      throw unavailable(ErrorCode.DATABASE_UNAVAILABLE, 'database unavailable', 5);
    },
  );
};

export default health;
