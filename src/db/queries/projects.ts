import { asc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { createDefaultCategories } from './categories.js';
import { insertUnder } from '../pg-errors.js';
import { projects, teams } from '../schema/index.js';
import { notFound } from '../../errors.js';

/** A new project, with the default categories (C7). */
export async function createProject(db: DbOrTx, p: { teamId: string; projectName: string; productName: string }) {
  // Inside a caller's transaction this nests as a savepoint.
  return db.transaction(async (tx) => {
    const [project] = await insertUnder('team', () =>
      tx.insert(projects).values({ teamId: p.teamId, projectName: p.projectName, productName: p.productName }).returning(),
    );
    await createDefaultCategories(tx, { projectId: project!.id });
    return project!;
  });
}

export async function listProjects(db: DbOrTx, p: { teamId: string }) {
  const [team] = await db.select({ id: teams.id }).from(teams).where(eq(teams.id, p.teamId));
  if (!team) throw notFound('team');
  return db.select().from(projects).where(eq(projects.teamId, p.teamId)).orderBy(asc(projects.createdAt), asc(projects.id));
}
