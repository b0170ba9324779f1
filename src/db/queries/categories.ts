import { sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../client.js';
import { pgCode, UNIQUE_VIOLATION } from '../pg-errors.js';
import { DEFAULT_CATEGORIES } from '../schema/index.js';
import { conflict, notFound } from '../../errors.js';
import { kickSweep } from './jobs.js';

export const MAX_CATEGORIES = 50;

export type CategoryRow = {
  id: string;
  project_id: string;
  name: string;
  description: string;
  created_at: string;
  updated_at: string;
};

const COLUMNS = sql`id, project_id, name, description, created_at, updated_at`;

async function uniqueName<T>(name: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (pgCode(err) === UNIQUE_VIOLATION) throw conflict(`a category named "${name}" already exists in this project`);
    throw err;
  }
}

export async function listCategories(db: DbOrTx, p: { projectId: string }): Promise<CategoryRow[]> {
  return [
    ...(await db.execute<CategoryRow>(sql`
      select ${COLUMNS} from categories where project_id = ${p.projectId} order by created_at, name, id`)),
  ];
}

export async function getCategory(db: DbOrTx, p: { projectId: string; categoryId: string }): Promise<CategoryRow> {
  const [row] = await db.execute<CategoryRow>(sql`
    select ${COLUMNS} from categories where id = ${p.categoryId} and project_id = ${p.projectId}`);
  if (!row) throw notFound('category');
  return row;
}

export async function createDefaultCategories(db: DbOrTx, p: { projectId: string }): Promise<void> {
  for (const c of DEFAULT_CATEGORIES) {
    await db.execute(sql`insert into categories (project_id, name, description) values (${p.projectId}, ${c.name}, ${c.description})`);
  }
}

/**
 * Adds a category. The project row is locked so that concurrent creations count correctly against the
 * limit. The first category of a project wakes the threads that waited for one.
 */
export async function createCategory(db: Db, p: { projectId: string; name: string; description: string }) {
  return db.transaction(async (tx) => {
    const [project] = await tx.execute(sql`select id from projects where id = ${p.projectId} for update`);
    if (!project) throw notFound('project');
    // A statement of its own after the lock: its snapshot sees every category committed before it.
    const [count] = await tx.execute<{ n: number }>(sql`
      select count(*)::int as n from categories where project_id = ${p.projectId}`);
    const n = count!.n;
    if (n >= MAX_CATEGORIES) throw conflict(`a project has at most ${MAX_CATEGORIES} categories`);
    const [row] = await uniqueName(p.name, () =>
      tx.execute<CategoryRow>(sql`
        insert into categories (project_id, name, description) values (${p.projectId}, ${p.name}, ${p.description})
        returning ${COLUMNS}`),
    );
    if (n === 0) {
      await tx.execute(sql`
        update threads set classification_due_at = '-infinity'
        where project_id = ${p.projectId} and category_id is null and classification_due_at = 'infinity'`);
      await kickSweep(tx);
    }
    return row!;
  });
}

/** Renames or re-describes; labels point at the id, so every thread keeps its category. */
export async function updateCategory(
  db: DbOrTx,
  p: { projectId: string; categoryId: string; name?: string; description?: string },
) {
  const [row] = await uniqueName(p.name ?? '', () =>
    db.execute<CategoryRow>(sql`
      update categories set
        name = coalesce(${p.name ?? null}, name),
        description = coalesce(${p.description ?? null}, description),
        updated_at = now()
      where id = ${p.categoryId} and project_id = ${p.projectId}
      returning ${COLUMNS}`),
  );
  if (!row) throw notFound('category');
  return row;
}

/**
 * Deletes a category. Its threads lose their label (whoever set it) and go back to automatic
 * classification against the remaining categories. Locking the category first makes a classifier write
 * racing with the delete either land before (and be cleared here) or fail its foreign key and retry.
 */
export async function deleteCategory(db: Db, p: { projectId: string; categoryId: string }): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await tx.execute(sql`
      select id from categories where id = ${p.categoryId} and project_id = ${p.projectId} for update`);
    if (!row) throw notFound('category');
    await tx.execute(sql`
      update threads set category_id = null, category_source = null, categorized_at = null,
        classification_due_at = '-infinity'
      where project_id = ${p.projectId} and category_id = ${p.categoryId}`);
    await tx.execute(sql`delete from categories where id = ${p.categoryId} and project_id = ${p.projectId}`);
    await kickSweep(tx);
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
  return [
    ...(await db.execute<CategoryCount>(sql`
      select id, name, count from (
        select c.id, c.name, c.created_at,
          (select count(*)::int from threads t where t.project_id = c.project_id and t.category_id = c.id and ${window}) as count
        from categories c where c.project_id = ${p.projectId}
        union all
        select null, null, null,
          (select count(*)::int from threads t where t.project_id = ${p.projectId} and t.category_id is null and ${window})
      ) s
      order by created_at nulls last, name, id`)),
  ];
}
