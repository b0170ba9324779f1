import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { heldBackfillThreads } from '../db/queries/backfill.js';
import { backlogByProject, classificationProgress, classificationRates } from '../db/queries/progress.js';
import { Uuid } from '../schemas/common.js';

const Rate = Type.Number({
  description: 'threads labelled by the classifier per second, over the last one to two minutes',
});

const ClassificationStatus = Type.Object({
  categorisation: Type.Union([Type.Literal('on'), Type.Literal('off')]),
  total_threads: Type.Integer(),
  unlabelled: Type.Integer({ description: 'threads without a label, parked ones included' }),
  parked: Type.Integer({ description: 'unlabelled threads of projects without categories' }),
  queued_backfill_threads: Type.Integer({ description: 'threads held by backfill batches, queued or running' }),
  rate_per_second: Rate,
  projects: Type.Array(
    Type.Object({
      project: Uuid(),
      project_name: Type.String(),
      unlabelled: Type.Integer(),
      parked: Type.Integer(),
      rate_per_second: Rate,
    }),
    { description: 'projects with unlabelled threads, largest backlog first' },
  ),
});

/** The backfill as an operator sees it: backlog per project and the current rate, across all workers. */
const classificationStatus: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  app.get(
    '/classification',
    {
      schema: {
        tags: ['admin'],
        security: [{ adminToken: [] }],
        summary: 'Classification backlog per project and the current labelling rate',
        response: { 200: ClassificationStatus },
      },
    },
    async () => {
      const [progress, projects, rates, queued] = await Promise.all([
        classificationProgress(app.db),
        backlogByProject(app.db),
        classificationRates(app.db),
        heldBackfillThreads(app.db),
      ]);
      return {
        categorisation: app.config.CATEGORISATION,
        total_threads: progress.total,
        unlabelled: progress.unlabelled,
        parked: progress.parked,
        queued_backfill_threads: queued,
        rate_per_second: rates.total,
        projects: projects.map((p) => ({
          project: p.projectId,
          project_name: p.projectName,
          unlabelled: p.unlabelled,
          parked: p.parked,
          rate_per_second: rates.byProject.get(p.projectId) ?? 0,
        })),
      };
    },
  );
  done();
};

export default classificationStatus;
