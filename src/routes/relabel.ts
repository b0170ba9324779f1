import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { chunks } from '../labelling/chunks.js';
import { categoryChoices } from '../db/queries/classification.js';
import { kickSweep } from '../jobs/specs.js';
import { cancelRelabel, latestRelabel, relabelSample, startRelabel } from '../db/queries/relabel.js';
import { errors, ProjectParams } from '../schemas/common.js';
import { RelabelPreview, RelabelRunSchema, toRun } from '../schemas/relabel.js';
import { conflict, notFound } from '../errors.js';
import { ModelUnavailableError } from '../errors.js';

const base = { tags: ['categories'], security: [{ apiKey: [] }] };
// A backfill batch's threads (CLASSIFY_BATCH_SIZE) go to the provider in calls of `size` questions.
const callsFor = (threads: number, batch: number, size: number) =>
  Math.floor(threads / batch) * Math.ceil(batch / size) + Math.ceil((threads % batch) / size);

const relabel: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app;
  // Questions per provider call, as the backfill sends them.
  const callSize = config.MODEL_PROVIDER === 'openai' && app.classifier.classifyMany ? config.CLASSIFIER_BATCH_SIZE : 1;

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
      const projectId = request.project.id;
      const categories = await categoryChoices(app.db, { projectId });
      if (categories.length === 0) throw conflict('the project has no categories to relabel into');
      const { labelled, sample } = await relabelSample(app.db, { projectId, n: request.body.sample ?? 100 });
      // The sample classified as a run would: the backfill's calls of `callSize` questions, timed.
      const durations: number[] = [];
      const classified = await Promise.all(
        chunks(sample, callSize).map(async (chunk) => {
          const started = performance.now();
          const questions = chunk.map((t) => t.first_question);
          const outcomes =
            callSize > 1
              ? await app.classifier.classifyMany!(questions, categories, 'backfill')
              : [await app.classifier.classify(questions[0], categories, 'backfill')];
          durations.push((performance.now() - started) / 1000);
          return outcomes.map((o) => {
            if (o instanceof Error) throw o instanceof ModelUnavailableError ? o : new ModelUnavailableError(o.message);
            return o;
          });
        }),
      );
      const changes = classified.flat().flatMap((to, i) => {
        const t = sample[i];
        return to.id === t.category_id
          ? []
          : [
              {
                thread_id: t.id,
                first_question: t.first_question,
                from: { id: t.category_id, name: t.category_name },
                to: { id: to.id, name: to.name },
              },
            ];
      });
      const calls = callsFor(labelled, config.CLASSIFY_BATCH_SIZE, callSize);
      const meanCallSeconds = durations.length ? durations.reduce((a, b) => a + b, 0) / durations.length : 0;
      return {
        sampled: sample.length,
        would_change: changes.length,
        changes,
        estimate: {
          threads: labelled,
          provider_calls: calls,
          seconds: Math.ceil((calls * meanCallSeconds) / config.CLASSIFIER_CONCURRENCY),
        },
      };
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
      const run = await startRelabel(app.db, { projectId: request.project.id });
      if (!run) throw conflict('a relabel is already running in this project');
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
};

export default relabel;
