import { asc, eq } from 'drizzle-orm';
import { run, type DbOrTx } from '../client.js';
import { users, type DigestInterval } from '../schema/index.js';

export interface UserFields {
  firstName?: string | null;
  lastName?: string | null;
  digestInterval?: DigestInterval | null;
}

/** A new user. The email is unique regardless of case (users_email_lower_key). */
export async function createUser(db: DbOrTx, p: { teamId: string; email: string } & UserFields) {
  const [user] = await run(
    db
      .insert(users)
      .values({ teamId: p.teamId, email: p.email, firstName: p.firstName ?? null, lastName: p.lastName ?? null, digestInterval: p.digestInterval ?? null })
      .returning(),
  );
  return user!;
}

export async function listUsers(db: DbOrTx, p: { teamId: string }) {
  return run(db.select().from(users).where(eq(users.teamId, p.teamId)).orderBy(asc(users.createdAt), asc(users.id)));
}

/** Changes the given fields; null when the user does not exist. */
export async function updateUser(db: DbOrTx, p: { userId: string } & UserFields) {
  const changes = {
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
