import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { rows, run, type DbOrTx } from '../client.js';
import { categories, classificationMinutes, threads } from '../schema/index.js';
import type { CategoryChoice } from '../../models/classifier.js';
import { classifyJob } from '../../jobs/specs.js';

/** A PostgreSQL array literal of uuids, passed as one text parameter: one statement text whatever the count. */
const uuidArray = (ids: string[]) => sql`${`{${ids.join(',')}}`}::uuid[]`;

/**
 * The user's label: set it, or with null hand the thread back to the classifier, which gets a
 * live job in the same statement. False when the thread is not one of this project's. A category of
 * another project, or none, violates threads_project_category_fk.
 */
export async function setUserLabel(
  db: DbOrTx,
  p: { projectId: string; threadId: string; categoryId: string | null; timeoutSeconds: number },
): Promise<boolean> {
  if (p.categoryId) {
    const updated = await run(
      db
        .update(threads)
        .set({ categoryId: p.categoryId, categorySource: 'user', categorizedAt: sql`now()`, updatedAt: sql`now()` })
        .where(and(eq(threads.id, p.threadId), eq(threads.projectId, p.projectId)))
        .returning({ id: threads.id }),
    );
    return updated.length > 0;
  }
  const handedBack = await rows<{ id: string }>(
    db,
    sql`
    with t as (
      update threads set category_id = null, category_source = null, categorized_at = null, updated_at = now(),
        classification_due_at = now() + make_interval(secs => ${p.timeoutSeconds}::int)
      where id = ${p.threadId} and project_id = ${p.projectId}
      returning id
    )
    select t.id, (${classifyJob(sql`${p.projectId}::uuid`, sql`json_build_array(t.id)`)}).id as job
    from t`,
  );
  return handedBack.length > 0;
}

/** The given threads of the project that are still unlabelled (labelled ones are done: repeats are harmless). */
export async function loadUnlabelledThreads(db: DbOrTx, p: { projectId: string; threadIds: string[] }) {
  return run(
    db
      .select({ id: threads.id, firstQuestion: threads.firstQuestion })
      .from(threads)
      .where(
        and(
          eq(threads.projectId, p.projectId),
          sql`${threads.id} = any(${uuidArray(p.threadIds)})`,
          isNull(threads.categoryId),
        ),
      ),
  );
}

export async function categoryChoices(db: DbOrTx, p: { projectId: string }): Promise<CategoryChoice[]> {
  return run(
    db
      .select({ id: categories.id, name: categories.name, description: categories.description })
      .from(categories)
      .where(eq(categories.projectId, p.projectId))
      .orderBy(asc(categories.createdAt), asc(categories.name), asc(categories.id)),
  );
}

/**
 * The given threads of a relabel run still due (labelled by the classifier before it started), while it
 * runs: a user's label is never touched.
 */
export async function loadRelabelThreads(
  db: DbOrTx,
  p: { projectId: string; threadIds: string[]; relabelRunId: string },
) {
  return rows<{ id: string; firstQuestion: string }>(
    db,
    sql`
    select t.id, t.first_question as "firstQuestion" from threads t join relabel_runs r on r.id = ${p.relabelRunId} and r.status = 'running'
    where t.project_id = ${p.projectId} and t.id = any(${uuidArray(p.threadIds)})
      and t.category_source = 'classifier' and t.categorized_at < r.started_at`,
  );
}

/**
 * Stores classifier labels in one statement, only on threads still unlabelled (a user's label, or an
 * earlier result, always stays) and only with categories that still exist in the project. For a relabel
 * run, only on threads the classifier labelled before the run started, and only while it runs (a cancel
 * stops it in this very statement); the old label stays until this one replaces it. Returns, for each
 * thread labelled, the seconds from its creation to its label.
 */
export async function saveClassifierLabels(
  db: DbOrTx,
  p: { projectId: string; labels: { threadId: string; categoryId: string }[]; relabelRunId?: string | null },
): Promise<number[]> {
  if (p.labels.length === 0) return [];
  const due = p.relabelRunId
    ? sql`t.category_source = 'classifier' and t.categorized_at < (select started_at from relabel_runs where id = ${p.relabelRunId} and status = 'running')`
    : sql`t.category_id is null`;
  const labelled = await rows<{ lag: number }>(
    db,
    sql`
    update threads t set category_id = v.category_id, category_source = 'classifier', categorized_at = now(), updated_at = now()
    from unnest(${uuidArray(p.labels.map((l) => l.threadId))}, ${uuidArray(p.labels.map((l) => l.categoryId))})
      as v(thread_id, category_id)
    where t.id = v.thread_id and t.project_id = ${p.projectId} and ${due}
      and exists (select 1 from categories c where c.id = v.category_id and c.project_id = ${p.projectId})
    returning extract(epoch from now() - t.created_at)::float8 as lag`,
  );
  return labelled.map((r) => r.lag);
}

/** Adds labels to the per-minute counts (flushed by each worker about once a second, see countLabels). */
export async function addLabelCounts(db: DbOrTx, counts: Map<string, number>): Promise<void> {
  for (const [projectId, n] of counts) {
    await run(
      db
        .insert(classificationMinutes)
        .values({ projectId, minute: sql`date_trunc('minute', now())`, labelled: n })
        .onConflictDoUpdate({
          target: [classificationMinutes.projectId, classificationMinutes.minute],
          set: { labelled: sql`${classificationMinutes.labelled} + excluded.labelled` },
        }),
    );
  }
}

/** Threads of a project without categories wait, out of the sweep's way, until a category exists. */
export async function parkThreads(db: DbOrTx, p: { projectId: string; threadIds: string[] }): Promise<void> {
  await run(
    db
      .update(threads)
      .set({ classificationDueAt: sql`'infinity'` })
      .where(
        and(
          eq(threads.projectId, p.projectId),
          sql`${threads.id} = any(${uuidArray(p.threadIds)})`,
          isNull(threads.categoryId),
        ),
      ),
  );
}
