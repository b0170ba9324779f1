import { asc, eq } from 'drizzle-orm';
import { run, type DbOrTx } from '../client.js';
import { categories, DEFAULT_CATEGORIES, projects, teams } from '../schema/index.js';

/** A new project, with the default categories (C7). */
export async function createProject(db: DbOrTx, p: { teamId: string; projectName: string; productName: string }) {
  // Inside a caller's transaction this nests as a savepoint.
  return db.transaction(async (tx) => {
    const [project] = await run(tx.insert(projects).values({ teamId: p.teamId, projectName: p.projectName, productName: p.productName }).returning());
    await run(tx.insert(categories).values(DEFAULT_CATEGORIES.map((c) => ({ ...c, projectId: project!.id }))));
    return project!;
  });
}

/** A team's projects; null when the team does not exist. */
export async function listProjects(db: DbOrTx, p: { teamId: string }) {
  const [team] = await run(db.select({ id: teams.id }).from(teams).where(eq(teams.id, p.teamId)));
  if (!team) return null;
  return run(db.select().from(projects).where(eq(projects.teamId, p.teamId)).orderBy(asc(projects.createdAt), asc(projects.id)));
}
