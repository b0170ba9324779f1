import { asc, count } from 'drizzle-orm';
import { run, type DbOrTx } from '../client.js';
import { teams } from '../schema/index.js';

export async function createTeam(db: DbOrTx, p: { name: string }) {
  const [team] = await run(db.insert(teams).values({ name: p.name }).returning());
  return team!;
}

export async function listTeams(db: DbOrTx) {
  return run(db.select().from(teams).orderBy(asc(teams.createdAt), asc(teams.id)));
}

export async function countTeams(db: DbOrTx): Promise<number> {
  const [row] = await run(db.select({ n: count() }).from(teams));
  return row!.n;
}
