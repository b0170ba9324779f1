import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { categoryStats } from '../db/queries/categories.js';
import { categoryTimeSeries, MAX_BUCKETS } from '../db/queries/timeseries.js';
import { badRequest } from '../errors.js';
import { CategoryStats, CategoryTimeSeries, toCategoryCount } from '../schemas/categories.js';
import { DateWindow, ProjectParams } from '../schemas/common.js';

const base = { tags: ['categories'], security: [{ apiKey: [] }] };

const TimeSeriesQuery = Type.Composite(
  [
    DateWindow,
    Type.Object({
      interval: Type.Optional(
        Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')], { default: 'day' }),
      ),
      timezone: Type.Optional(
        Type.String({
          minLength: 1,
          maxLength: 64,
          default: 'UTC',
          description: 'an IANA time zone, e.g. America/New_York',
        }),
      ),
    }),
  ],
  { additionalProperties: false },
);

/** Threads per category: in a window, and per period of a time zone. */
const categoryStatsRoutes: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  app.get(
    '/categories/stats',
    {
      schema: {
        ...base,
        summary: 'Threads per category (zero included) and unlabelled, optionally in a time window',
        params: ProjectParams,
        querystring: DateWindow,
        response: { 200: CategoryStats },
      },
    },
    async (request) => {
      const counts = await categoryStats(app.db, {
        projectId: request.project.id,
        createdAfter: request.query.created_after,
        createdBefore: request.query.created_before,
      });
      return {
        results: counts.map(toCategoryCount),
        total: counts.reduce((sum, r) => sum + r.count, 0),
      };
    },
  );

  app.get(
    '/categories/stats/timeseries',
    {
      schema: {
        ...base,
        summary:
          'Threads per category per day, ISO week or month of a time zone (zero-filled), by created_at and current label',
        description: `Without created_after the window is the last 30 days, 12 weeks or 12 months up to created_before (default: now). At most ${MAX_BUCKETS} buckets.`,
        params: ProjectParams,
        querystring: TimeSeriesQuery,
        response: { 200: CategoryTimeSeries },
      },
    },
    async (request) => {
      const { interval = 'day', timezone = 'UTC' } = request.query;
      const series = await categoryTimeSeries(app.db, {
        projectId: request.project.id,
        interval,
        timezone,
        createdAfter: request.query.created_after,
        createdBefore: request.query.created_before,
      });
      if ('refused' in series)
        throw badRequest(
          series.refused === 'unknown zone'
            ? 'unknown time zone: use an IANA name such as Europe/Berlin'
            : `${series.n} buckets: at most ${MAX_BUCKETS} (narrow the window or widen the interval)`,
        );
      return {
        interval,
        timezone,
        results: series.buckets.map((b) => ({
          start: b.start,
          total: b.total,
          categories: b.categories.map(toCategoryCount),
        })),
      };
    },
  );

  done();
};

export default categoryStatsRoutes;
