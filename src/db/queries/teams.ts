import { and, asc, count, eq, getTableColumns, ilike, isNull, sql } from 'drizzle-orm';
import { rows, run, type Db, type DbOrTx } from '../client.js';
import { projects, teams, users } from '../schema/index.js';
import { afterPosition, containing, cursorAt, toPage, type PageParams } from './paging.js';
import { retireProjects } from './purge.js';

// A team whose delete is waiting for its projects' purge is gone for everyone but the purge.
const live = isNull(teams.deletedAt);

export async function createTeam(db: DbOrTx, p: { name: string }) {
  const [team] = await run(db.insert(teams).values({ name: p.name }).returning());
  return team;
}

export async function getTeam(db: DbOrTx, p: { teamId: string }) {
  const [team] = await run(
    db
      .select()
      .from(teams)
      .where(and(eq(teams.id, p.teamId), live)),
  );
  return team ?? null;
}

/** Teams, oldest first, whose name contains `q` regardless of case; a page of `limit` (all without). */
export async function listTeams(db: DbOrTx, p: { q?: string } & PageParams = {}) {
  const query = db
    .select({ ...getTableColumns(teams), cursorAt: cursorAt(teams.createdAt) })
    .from(teams)
    .where(
      and(
        live,
        p.q ? ilike(teams.name, containing(p.q)) : undefined,
        afterPosition(teams.createdAt, teams.id, p.after),
      ),
    )
    .orderBy(asc(teams.createdAt), asc(teams.id))
    .$dynamic();
  return toPage(await run(p.limit === undefined ? query : query.limit(p.limit + 1)), p.limit);
}

export async function renameTeam(db: DbOrTx, p: { teamId: string; name: string }) {
  const [team] = await run(
    db
      .update(teams)
      .set({ name: p.name })
      .where(and(eq(teams.id, p.teamId), live))
      .returning(),
  );
  return team ?? null;
}

/**
 * Deletes a team: null if there is no such (live) team, `{ projects: n }` with its live projects and nothing
 * changed unless `cascade`. With `cascade`, its projects are deleted as deleteProject does (their purge
 * jobs queued) and its users removed, at once; the team row goes now if no project row is left, otherwise
 * with the purge of its last project. The team row is locked first, as the purge's last step and the
 * creation of projects and users in it do, so none of them can slip past the other.
 */
export async function deleteTeam(db: Db, p: { teamId: string; cascade: boolean }) {
  return db.transaction(async (tx) => {
    const [team] = await run(
      tx
        .select({ id: teams.id })
        .from(teams)
        .where(and(eq(teams.id, p.teamId), live))
        .for('update'),
    );
    if (!team) return null;
    const [counted] = await run(
      tx
        .select({ n: count() })
        .from(projects)
        .where(and(eq(projects.teamId, p.teamId), isNull(projects.deletedAt))),
    );
    if (counted.n > 0 && !p.cascade) return { deleted: false as const, projects: counted.n };
    const retired = await retireProjects(tx, { teamId: p.teamId });
    await run(tx.delete(users).where(eq(users.teamId, p.teamId)));
    await rows(
      tx,
      sql`
      with purging as (select 1 from projects where team_id = ${p.teamId} limit 1),
      soft as (update teams set deleted_at = now() where id = ${p.teamId} and exists (select 1 from purging)),
      hard as (delete from teams where id = ${p.teamId} and not exists (select 1 from purging))
      select 1`,
    );
    return { deleted: true as const, projects: retired.length };
  });
}

/** Locks a live team against a concurrent delete until the transaction ends; false if there is none. */
export async function lockLiveTeam(tx: DbOrTx, teamId: string): Promise<boolean> {
  const [team] = await run(
    tx
      .select({ id: teams.id })
      .from(teams)
      .where(and(eq(teams.id, teamId), live))
      .for('share'),
  );
  return team !== undefined;
}

export async function countTeams(db: DbOrTx): Promise<number> {
  const [row] = await run(db.select({ n: count() }).from(teams));
  return row.n;
}
