import { and, asc, eq, getTableColumns, ilike, or, sql } from 'drizzle-orm';
import { run, type DbOrTx } from '../client.js';
import { users, type DigestInterval } from '../schema/index.js';
import { afterPosition, containing, cursorAt, toPage, type PageParams } from './paging.js';
import { getTeam, lockLiveTeam } from './teams.js';

export interface UserFields {
  firstName?: string | null;
  lastName?: string | null;
  digestInterval?: DigestInterval | null;
}

/** A new user. The email is unique regardless of case (users_email_lower_key). The team is not checked: see createUserInTeam. */
export async function createUser(db: DbOrTx, p: { teamId: string; email: string } & UserFields) {
  const [user] = await run(
    db
      .insert(users)
      .values({
        teamId: p.teamId,
        email: p.email,
        firstName: p.firstName ?? null,
        lastName: p.lastName ?? null,
        digestInterval: p.digestInterval ?? null,
      })
      .returning(),
  );
  return user;
}

/** createUser in a live team; null if the team is unknown or deleted. */
export async function createUserInTeam(db: DbOrTx, p: { teamId: string; email: string } & UserFields) {
  return db.transaction(async (tx) => ((await lockLiveTeam(tx, p.teamId)) ? createUser(tx, p) : null));
}

export async function getUser(db: DbOrTx, p: { userId: string }) {
  const [user] = await run(db.select().from(users).where(eq(users.id, p.userId)));
  return user ?? null;
}

/**
 * Users, oldest first, of one team or all, whose email or name contains `q` regardless of case; a page of
 * `limit` (all without). Null when `teamId` names no live team. (A deleted team's users are deleted with it.)
 */
export async function listUsers(db: DbOrTx, p: { teamId?: string; q?: string } & PageParams) {
  if (p.teamId !== undefined && !(await getTeam(db, { teamId: p.teamId }))) return null;
  const name = sql`concat_ws(' ', ${users.firstName}, ${users.lastName})`;
  const query = db
    .select({ ...getTableColumns(users), cursorAt: cursorAt(users.createdAt) })
    .from(users)
    .where(
      and(
        p.teamId !== undefined ? eq(users.teamId, p.teamId) : undefined,
        p.q ? or(ilike(users.email, containing(p.q)), ilike(name, containing(p.q))) : undefined,
        afterPosition(users.createdAt, users.id, p.after),
      ),
    )
    .orderBy(asc(users.createdAt), asc(users.id))
    .$dynamic();
  return toPage(await run(p.limit === undefined ? query : query.limit(p.limit + 1)), p.limit);
}

/** Changes the given fields; null when the user does not exist. A taken email is a unique violation (409). */
export async function updateUser(db: DbOrTx, p: { userId: string; email?: string } & UserFields) {
  const changes = {
    ...(p.email !== undefined && { email: p.email }),
    ...(p.firstName !== undefined && { firstName: p.firstName }),
    ...(p.lastName !== undefined && { lastName: p.lastName }),
    ...(p.digestInterval !== undefined && { digestInterval: p.digestInterval }),
  };
  const [user] =
    Object.keys(changes).length > 0
      ? await run(db.update(users).set(changes).where(eq(users.id, p.userId)).returning())
      : await run(db.select().from(users).where(eq(users.id, p.userId)));
  return user ?? null;
}

/** Deletes a user (and the record of their sent reports); false if there is none. */
export async function deleteUser(db: DbOrTx, p: { userId: string }): Promise<boolean> {
  const deleted = await run(db.delete(users).where(eq(users.id, p.userId)).returning({ id: users.id }));
  return deleted.length > 0;
}
