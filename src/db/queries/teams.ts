import { asc, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { teams } from '../schema/index.js';

export async function createTeam(db: DbOrTx, p: { name: string }) {
  const [team] = await db.insert(teams).values({ name: p.name }).returning();
  return team!;
}

export async function listTeams(db: DbOrTx) {
  return db.select().from(teams).orderBy(asc(teams.createdAt), asc(teams.id));
}

export async function countTeams(db: DbOrTx): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(teams);
  return row!.n;
}
