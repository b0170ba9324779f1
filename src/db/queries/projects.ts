import { asc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { insertUnder } from '../pg-errors.js';
import { projects, teams } from '../schema/index.js';
import { notFound } from '../../errors.js';

export async function createProject(db: DbOrTx, p: { teamId: string; projectName: string; productName: string }) {
  const [project] = await insertUnder('team', () =>
    db.insert(projects).values({ teamId: p.teamId, projectName: p.projectName, productName: p.productName }).returning(),
  );
  return project!;
}

export async function listProjects(db: DbOrTx, p: { teamId: string }) {
  const [team] = await db.select({ id: teams.id }).from(teams).where(eq(teams.id, p.teamId));
  if (!team) throw notFound('team');
  return db.select().from(projects).where(eq(projects.teamId, p.teamId)).orderBy(asc(projects.createdAt), asc(projects.id));
}
