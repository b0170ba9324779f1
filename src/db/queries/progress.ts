import { and, count, desc, eq, gte, isNull, lt, sql } from 'drizzle-orm';
import { rows, run, type DbOrTx } from '../client.js';
import { classificationMinutes, projects, threads } from '../schema/index.js';

export type Progress = { total: number; unlabelled: number; parked: number };

const parked = sql`${threads.classificationDueAt} = 'infinity'`;

/** Threads in all, still unlabelled, and parked (their project has no category); for one project or all. */
export async function classificationProgress(db: DbOrTx, p: { projectId?: string } = {}): Promise<Progress> {
  const project = p.projectId ? eq(threads.projectId, p.projectId) : undefined;
  const [row] = await rows<Progress>(
    db,
    sql`
    select (select count(*)::int from ${threads} where ${project ?? sql`true`}) as total,
           (select count(*)::int from ${threads} where ${and(isNull(threads.categoryId), project)}) as unlabelled,
           (select count(*)::int from ${threads} where ${and(isNull(threads.categoryId), parked, project)}) as parked`,
  );
  return row;
}

/** Unlabelled threads per project, largest backlog first. */
export async function backlogByProject(db: DbOrTx) {
  const backlog = db
    .select({
      projectId: threads.projectId,
      unlabelled: count().as('unlabelled'),
      parked: sql<number>`(count(*) filter (where ${parked}))::int`.as('parked'),
    })
    .from(threads)
    .where(isNull(threads.categoryId))
    .groupBy(threads.projectId)
    .as('b');
  return run(
    db
      .select({
        projectId: projects.id,
        projectName: projects.projectName,
        unlabelled: backlog.unlabelled,
        parked: backlog.parked,
      })
      .from(backlog)
      .innerJoin(projects, and(eq(projects.id, backlog.projectId), isNull(projects.deletedAt)))
      .orderBy(desc(backlog.unlabelled), projects.id),
  );
}

/** Waiting (due or in a job) and parked unlabelled threads, and the age of the oldest waiting one (s). */
export async function backlogSummary(db: DbOrTx) {
  const [row] = await run(
    db
      .select({
        waiting: sql<number>`(count(*) filter (where not ${parked}))::int`,
        parked: sql<number>`(count(*) filter (where ${parked}))::int`,
        oldestSeconds: sql<
          number | null
        >`extract(epoch from now() - min(${threads.createdAt}) filter (where not ${parked}))::float8`,
      })
      .from(threads)
      .where(isNull(threads.categoryId)),
  );
  return row;
}

/**
 * Threads labelled per second by the classifier over the last one to two minutes, per project and in all
 * (from classification_minutes, so across every worker process).
 */
export async function classificationRates(db: DbOrTx): Promise<{ total: number; byProject: Map<string, number> }> {
  const since = sql`date_trunc('minute', now()) - interval '1 minute'`;
  const perProject = await run(
    db
      .select({
        projectId: classificationMinutes.projectId,
        rate: sql<number>`sum(${classificationMinutes.labelled})::float8 / greatest(extract(epoch from now() - ${since}), 1)`,
      })
      .from(classificationMinutes)
      .where(gte(classificationMinutes.minute, since))
      .groupBy(classificationMinutes.projectId),
  );
  const byProject = new Map(perProject.map((r) => [r.projectId, r.rate]));
  return { total: perProject.reduce((sum, r) => sum + r.rate, 0), byProject };
}

export async function forgetOldRates(db: DbOrTx): Promise<void> {
  await run(db.delete(classificationMinutes).where(lt(classificationMinutes.minute, sql`now() - interval '1 day'`)));
}
