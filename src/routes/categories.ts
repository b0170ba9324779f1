import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  categoryStats,
  createCategory,
  deleteCategory,
  getCategory,
  listCategories,
  updateCategory,
} from '../db/queries/categories.js';
import { badRequest, notFound } from '../errors.js';
import { LIMITS } from '../db/pg-errors.js';
import { categoryTimeSeries, MAX_BUCKETS } from '../db/queries/timeseries.js';
import {
  Category,
  CategoryChanges,
  CategoryStats,
  CategoryTimeSeries,
  NewCategory,
  toCategory,
  toCategoryCount,
} from '../schemas/categories.js';
import { DateWindow, errors, ProjectParams, Uuid } from '../schemas/common.js';

const CategoryParams = Type.Composite([ProjectParams, Type.Object({ category_id: Uuid() })]);
const base = { tags: ['categories'], security: [{ apiKey: [] }] };

/** The project's categories: what the classifier chooses from, and what users label with. */
const categories: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/categories/',
    {
      schema: {
        ...base,
        summary: "The project's categories",
        params: ProjectParams,
        response: { 200: Type.Object({ results: Type.Array(Category) }) },
      },
    },
    async (request) => ({ results: (await listCategories(app.db, { projectId: request.project.id })).map(toCategory) }),
  );

  app.post(
    '/categories/',
    {
      schema: {
        ...base,
        summary: 'Add a category (at most 50 per project)',
        params: ProjectParams,
        body: NewCategory,
        response: { 201: Category, ...errors(409) },
      },
    },
    async (request, reply) => {
      const created = await createCategory(app.db, {
        projectId: request.project.id,
        name: request.body.name.trim(),
        description: request.body.description ?? '',
      });
      if (created === 'limit') throw LIMITS.categories();
      return reply.code(201).send(toCategory(created));
    },
  );

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
        querystring: Type.Composite(
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
        ),
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

  app.get(
    '/categories/:category_id/',
    {
      schema: {
        ...base,
        summary: 'One category',
        params: CategoryParams,
        response: { 200: Category, ...errors(404) },
      },
    },
    async (request) => {
      const category = await getCategory(app.db, {
        projectId: request.project.id,
        categoryId: request.params.category_id,
      });
      if (!category) throw notFound('category');
      return toCategory(category);
    },
  );

  app.patch(
    '/categories/:category_id/',
    {
      schema: {
        ...base,
        summary: 'Rename or re-describe a category; labels keep pointing at it',
        params: CategoryParams,
        body: CategoryChanges,
        response: { 200: Category, ...errors(404, 409) },
      },
    },
    async (request) => {
      const { name, description } = request.body;
      const category = await updateCategory(app.db, {
        projectId: request.project.id,
        categoryId: request.params.category_id,
        name: name?.trim(),
        description,
      });
      if (!category) throw notFound('category');
      return toCategory(category);
    },
  );

  app.delete(
    '/categories/:category_id/',
    {
      schema: {
        ...base,
        summary: 'Delete a category; its threads become unlabelled and are classified again',
        params: CategoryParams,
        response: { 204: Type.Null({ description: 'deleted' }), ...errors(404) },
      },
    },
    async (request, reply) => {
      if (!(await deleteCategory(app.db, { projectId: request.project.id, categoryId: request.params.category_id })))
        throw notFound('category');
      return reply.code(204).send(null);
    },
  );
};

export default categories;
