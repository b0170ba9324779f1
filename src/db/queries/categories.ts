import { and, asc, count, eq, sql } from 'drizzle-orm';
import { rows, run, type Db, type DbOrTx } from '../client.js';
import { categories, projects, threads } from '../schema/index.js';
import { kickSweep } from '../../jobs/specs.js';

export const MAX_CATEGORIES = 50;

const thisProjects = (p: { projectId: string; categoryId: string }) =>
  and(eq(categories.id, p.categoryId), eq(categories.projectId, p.projectId));

export type CategoryRecord = typeof categories.$inferSelect;

export async function listCategories(db: DbOrTx, p: { projectId: string }): Promise<CategoryRecord[]> {
  return run(
    db
      .select()
      .from(categories)
      .where(eq(categories.projectId, p.projectId))
      .orderBy(asc(categories.createdAt), asc(categories.name), asc(categories.id)),
  );
}

/** One category of the project; null when it is not one of the project's. */
export async function getCategory(
  db: DbOrTx,
  p: { projectId: string; categoryId: string },
): Promise<CategoryRecord | null> {
  const [row] = await run(db.select().from(categories).where(thisProjects(p)));
  return row ?? null;
}

/**
 * Adds a category: `limit` when the project has MAX_CATEGORIES already (a count, not a constraint: see
 * LIMITS in pg-errors.ts). The project row is locked so that
 * concurrent creations count correctly against the limit. The first category of a project wakes the
 * threads that waited for one. A name taken in the project (regardless of case) violates
 * categories_project_name_key.
 */
export async function createCategory(
  db: Db,
  p: { projectId: string; name: string; description: string },
): Promise<CategoryRecord | 'limit'> {
  return db.transaction(async (tx) => {
    await run(tx.select({ id: projects.id }).from(projects).where(eq(projects.id, p.projectId)).for('update'));
    // A statement of its own after the lock: its snapshot sees every category committed before it.
    const [{ n }] = (await run(
      tx.select({ n: count() }).from(categories).where(eq(categories.projectId, p.projectId)),
    )) as [{ n: number }];
    if (n >= MAX_CATEGORIES) return 'limit';
    const [row] = await run(
      tx.insert(categories).values({ projectId: p.projectId, name: p.name, description: p.description }).returning(),
    );
    if (n === 0) {
      await run(
        tx
          .update(threads)
          .set({ classificationDueAt: sql`'-infinity'` })
          .where(
            and(
              eq(threads.projectId, p.projectId),
              sql`${threads.categoryId} is null and ${threads.classificationDueAt} = 'infinity'`,
            ),
          ),
      );
      await kickSweep(tx);
    }
    return row;
  });
}

/** Renames or re-describes; labels point at the id, so every thread keeps its category. Null if not the project's. */
export async function updateCategory(
  db: DbOrTx,
  p: { projectId: string; categoryId: string; name?: string; description?: string },
): Promise<CategoryRecord | null> {
  const [row] = await run(
    db
      .update(categories)
      .set({ name: p.name, description: p.description, updatedAt: sql`now()` })
      .where(thisProjects(p))
      .returning(),
  );
  return row ?? null;
}

/**
 * Deletes a category; false when it is not one of the project's. Its threads lose their label (whoever
 * set it) and go back to automatic classification against the remaining categories. Locking the category
 * first makes a classifier write racing with the delete either land before (and be cleared here) or fail
 * its foreign key and retry.
 */
export async function deleteCategory(db: Db, p: { projectId: string; categoryId: string }): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [row] = await run(tx.select({ id: categories.id }).from(categories).where(thisProjects(p)).for('update'));
    if (!row) return false;
    await run(
      tx
        .update(threads)
        .set({
          categoryId: null,
          categorySource: null,
          categorizedAt: null,
          updatedAt: sql`now()`,
          classificationDueAt: sql`'-infinity'`,
        })
        .where(and(eq(threads.projectId, p.projectId), eq(threads.categoryId, p.categoryId))),
    );
    await run(tx.delete(categories).where(thisProjects(p)));
    await kickSweep(tx);
    return true;
  });
}

export type CategoryCount = { id: string | null; name: string | null; count: number };

/** Threads per category (every category, zero included) and unlabelled, in a time window. */
export async function categoryStats(
  db: DbOrTx,
  p: { projectId: string; createdAfter?: string; createdBefore?: string },
): Promise<CategoryCount[]> {
  const window = sql.join(
    [
      sql`true`,
      ...(p.createdAfter ? [sql`t.created_at >= ${p.createdAfter}::timestamptz`] : []),
      ...(p.createdBefore ? [sql`t.created_at < ${p.createdBefore}::timestamptz`] : []),
    ],
    sql` and `,
  );
  // One index-only count per category over (project_id, category_id, created_at), and one for unlabelled.
  return rows<CategoryCount>(
    db,
    sql`
    select id, name, count from (
      select c.id, c.name, c.created_at,
        (select count(*)::int from threads t where t.project_id = c.project_id and t.category_id = c.id and ${window}) as count
      from categories c where c.project_id = ${p.projectId}
      union all
      select null, null, null,
        (select count(*)::int from threads t where t.project_id = ${p.projectId} and t.category_id is null and ${window})
    ) s
    order by created_at nulls last, name, id`,
  );
}
