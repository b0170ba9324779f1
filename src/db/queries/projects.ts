import { and, asc, eq, getTableColumns, ilike, isNull, or } from 'drizzle-orm';
import { run, type Db, type DbOrTx } from '../client.js';
import { categories, DEFAULT_CATEGORIES, projects } from '../schema/index.js';
import { afterPosition, containing, cursorAt, toPage, type PageParams } from './paging.js';
import { retireProjects } from './purge.js';
import { getTeam, lockLiveTeam } from './teams.js';

// A deleted project is gone for the API at once; only its purge job still sees the row.
const live = isNull(projects.deletedAt);

/** A new project, with the default categories. The team is not checked: see createProjectInTeam. */
export async function createProject(db: DbOrTx, p: { teamId: string; projectName: string; productName: string }) {
  // Inside a caller's transaction this nests as a savepoint.
  return db.transaction(async (tx) => {
    const [project] = await run(
      tx
        .insert(projects)
        .values({ teamId: p.teamId, projectName: p.projectName, productName: p.productName })
        .returning(),
    );
    await run(tx.insert(categories).values(DEFAULT_CATEGORIES.map((c) => ({ ...c, projectId: project.id }))));
    return project;
  });
}

/** createProject in a live team; null if the team is unknown or deleted (a deleted team's row may still exist). */
export async function createProjectInTeam(db: DbOrTx, p: { teamId: string; projectName: string; productName: string }) {
  return db.transaction(async (tx) => ((await lockLiveTeam(tx, p.teamId)) ? createProject(tx, p) : null));
}

export async function getProject(db: DbOrTx, p: { projectId: string }) {
  const [project] = await run(
    db
      .select()
      .from(projects)
      .where(and(eq(projects.id, p.projectId), live)),
  );
  return project ?? null;
}

/** Locks a live project against a concurrent delete until the transaction ends; false if there is none. */
export async function lockLiveProject(tx: DbOrTx, projectId: string): Promise<boolean> {
  const [project] = await run(
    tx
      .select({ id: projects.id })
      .from(projects)
      .where(and(eq(projects.id, projectId), live))
      .for('share'),
  );
  return project !== undefined;
}

/**
 * Projects, oldest first, of one team or all, whose project or product name contains `q` regardless of
 * case; a page of `limit` (all without). Null when `teamId` names no live team.
 */
export async function listProjects(db: DbOrTx, p: { teamId?: string; q?: string } & PageParams) {
  if (p.teamId !== undefined && !(await getTeam(db, { teamId: p.teamId }))) return null;
  const query = db
    .select({ ...getTableColumns(projects), cursorAt: cursorAt(projects.createdAt) })
    .from(projects)
    .where(
      and(
        live,
        p.teamId !== undefined ? eq(projects.teamId, p.teamId) : undefined,
        p.q
          ? or(ilike(projects.projectName, containing(p.q)), ilike(projects.productName, containing(p.q)))
          : undefined,
        afterPosition(projects.createdAt, projects.id, p.after),
      ),
    )
    .orderBy(asc(projects.createdAt), asc(projects.id))
    .$dynamic();
  return toPage(await run(p.limit === undefined ? query : query.limit(p.limit + 1)), p.limit);
}

/** Renames a live project (the fields given); null if there is none. */
export async function updateProject(db: DbOrTx, p: { projectId: string; projectName?: string; productName?: string }) {
  const changes = {
    ...(p.projectName !== undefined && { projectName: p.projectName }),
    ...(p.productName !== undefined && { productName: p.productName }),
  };
  if (Object.keys(changes).length === 0) return getProject(db, p);
  const [project] = await run(
    db
      .update(projects)
      .set(changes)
      .where(and(eq(projects.id, p.projectId), live))
      .returning(),
  );
  return project ?? null;
}

/** Deletes a live project (see retireProjects); false if there is none. */
export async function deleteProject(db: Db, p: { projectId: string }): Promise<boolean> {
  return db.transaction(async (tx) => (await retireProjects(tx, p)).length > 0);
}
