import { asc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { insertUnder, pgCode, UNIQUE_VIOLATION } from '../pg-errors.js';
import { users } from '../schema/index.js';
import { conflict, notFound } from '../../errors.js';

export type DigestInterval = 'WEEKLY' | 'BIWEEKLY' | 'MONTHLY';

export interface UserFields {
  firstName?: string | null;
  lastName?: string | null;
  digestInterval?: DigestInterval | null;
}

export async function createUser(db: DbOrTx, p: { teamId: string; email: string } & UserFields) {
  try {
    const [user] = await insertUnder('team', () =>
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
    return user!;
  } catch (err) {
    if (pgCode(err) === UNIQUE_VIOLATION) throw conflict(`a user with email ${p.email} already exists`);
    throw err;
  }
}

export async function listUsers(db: DbOrTx, p: { teamId: string }) {
  return db.select().from(users).where(eq(users.teamId, p.teamId)).orderBy(asc(users.createdAt), asc(users.id));
}

export async function updateUser(db: DbOrTx, p: { userId: string } & UserFields) {
  const changes = {
    ...(p.firstName !== undefined && { firstName: p.firstName }),
    ...(p.lastName !== undefined && { lastName: p.lastName }),
    ...(p.digestInterval !== undefined && { digestInterval: p.digestInterval }),
  };
  const [user] =
    Object.keys(changes).length > 0
      ? await db.update(users).set(changes).where(eq(users.id, p.userId)).returning()
      : await db.select().from(users).where(eq(users.id, p.userId));
  if (!user) throw notFound('user');
  return user;
}
