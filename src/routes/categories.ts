import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import {
  createCategory,
  deleteCategory,
  getCategory,
  listCategories,
  updateCategory,
} from '../db/queries/categories.js';
import { notFound } from '../errors.js';
import { LIMITS } from '../db/pg-errors.js';
import { Category, CategoryChanges, NewCategory, toCategory } from '../schemas/categories.js';
import { errors, ProjectParams, Uuid } from '../schemas/common.js';

const CategoryParams = Type.Composite([ProjectParams, Type.Object({ category_id: Uuid() })]);
const base = { tags: ['categories'], security: [{ apiKey: [] }] };

/** The project's categories: what the classifier chooses from, and what users label with. */
const categories: FastifyPluginCallbackTypebox = (app, _opts, done) => {
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
  done();
};

export default categories;
