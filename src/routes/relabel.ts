import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { kickSweep } from '../jobs/specs.js';
import { cancelRelabel, latestRelabel, startRelabel } from '../db/queries/relabel.js';
import { previewRelabel } from '../labelling/preview.js';
import { errors, ProjectParams } from '../schemas/common.js';
import { RelabelPreview, RelabelRunSchema, toPreview, toRun } from '../schemas/relabel.js';
import { conflict, notFound } from '../errors.js';

const base = { tags: ['categories'], security: [{ apiKey: [] }] };

const relabel: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  app.post(
    '/categories/relabel/preview',
    {
      schema: {
        ...base,
        summary:
          'What relabelling the history would change, on a random sample of classifier-labelled threads; changes nothing',
        description:
          'Classifies the sample against the current categories (calls to the classifier, batched as a run would) and ' +
          'estimates a full run: its threads, its provider calls, and its duration at CLASSIFIER_CONCURRENCY calls in ' +
          'flight with the latency the sample measured.',
        params: ProjectParams,
        body: Type.Object(
          { sample: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })) },
          { additionalProperties: false },
        ),
        response: { 200: RelabelPreview, ...errors(409) },
      },
    },
    async (request) => {
      const preview = await previewRelabel(app, { projectId: request.project.id, sample: request.body.sample ?? 100 });
      if (!preview) throw conflict('the project has no categories to relabel into');
      return toPreview(preview);
    },
  );

  app.post(
    '/categories/relabel',
    {
      schema: {
        ...base,
        summary: 'Reclassify every classifier-labelled thread against the current categories, in the background',
        description:
          "Through the backfill machinery, after any unlabelled threads; users' labels are never touched, and a thread " +
          'keeps its old label until its new one is written. One run per project at a time.',
        params: ProjectParams,
        response: { 202: RelabelRunSchema, ...errors(409) },
      },
    },
    async (request, reply) => {
      // One already running: a 409 through the constraint table.
      const run = await startRelabel(app.db, { projectId: request.project.id });
      await kickSweep(app.db);
      return reply.code(202).send(toRun(run));
    },
  );

  app.get(
    '/categories/relabel',
    {
      schema: {
        ...base,
        summary: "The project's latest relabel run and its progress",
        params: ProjectParams,
        response: { 200: RelabelRunSchema, ...errors(404) },
      },
    },
    async (request) => {
      const run = await latestRelabel(app.db, { projectId: request.project.id });
      if (!run) throw notFound('relabel run');
      return toRun(run);
    },
  );

  app.delete(
    '/categories/relabel',
    {
      schema: {
        ...base,
        summary: 'Cancel the running relabel: no label changes after it',
        params: ProjectParams,
        response: { 202: RelabelRunSchema, ...errors(404) },
      },
    },
    async (request, reply) => {
      const run = await cancelRelabel(app.db, { projectId: request.project.id });
      if (!run) throw notFound('running relabel');
      return reply.code(202).send(toRun(run));
    },
  );
  done();
};

export default relabel;
