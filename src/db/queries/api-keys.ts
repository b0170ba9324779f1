import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { run, statement, type Db, type DbOrTx } from '../client.js';
import { apiKeys } from '../schema/index.js';
import { generateApiKey } from '../../auth/api-keys.js';
import { getProject, lockLiveProject } from './projects.js';

const publicColumns = {
  id: apiKeys.id,
  projectId: apiKeys.projectId,
  name: apiKeys.name,
  prefix: apiKeys.prefix,
  createdAt: apiKeys.createdAt,
  lastUsedAt: apiKeys.lastUsedAt,
  revokedAt: apiKeys.revokedAt,
};

/** Creates a key and returns its secret: the only time the secret exists outside the client. */
export async function createApiKey(db: DbOrTx, p: { projectId: string; name: string }) {
  const { key, prefix, hash } = generateApiKey();
  const [row] = await run(
    db.insert(apiKeys).values({ projectId: p.projectId, name: p.name, prefix, keyHash: hash }).returning(publicColumns),
  );
  return { ...row, key };
}

/** createApiKey for a live project; null if the project is unknown or deleted. */
export async function createApiKeyForProject(db: DbOrTx, p: { projectId: string; name: string }) {
  return db.transaction(async (tx) => ((await lockLiveProject(tx, p.projectId)) ? createApiKey(tx, p) : null));
}

/** A project's keys, revoked ones included; null if the project is unknown or deleted. */
export async function listApiKeys(db: DbOrTx, p: { projectId: string }) {
  if (!(await getProject(db, p))) return null;
  return run(
    db
      .select(publicColumns)
      .from(apiKeys)
      .where(eq(apiKeys.projectId, p.projectId))
      .orderBy(asc(apiKeys.createdAt), asc(apiKeys.id)),
  );
}

/** Renames a key (revoked or not); null if there is none. */
export async function renameApiKey(db: DbOrTx, p: { keyId: string; name: string }) {
  const [row] = await run(
    db.update(apiKeys).set({ name: p.name }).where(eq(apiKeys.id, p.keyId)).returning(publicColumns),
  );
  return row ?? null;
}

/** Revokes at once: the next request with the key is refused. Revoking twice keeps the first time. Null if unknown. */
export async function revokeApiKey(db: DbOrTx, p: { keyId: string }) {
  const [row] = await run(
    db
      .update(apiKeys)
      .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
      .where(eq(apiKeys.id, p.keyId))
      .returning(publicColumns),
  );
  return row ?? null;
}

const liveKey = statement((db: Db) =>
  db
    .select({ id: apiKeys.id, projectId: apiKeys.projectId, keyHash: apiKeys.keyHash })
    .from(apiKeys)
    .where(and(eq(apiKeys.prefix, sql.placeholder('prefix')), isNull(apiKeys.revokedAt))),
);

/** The live (not revoked) key with this public prefix: asked on every authenticated request. */
export async function findLiveApiKey(db: Db, prefix: string) {
  const [row] = await liveKey(db, { prefix });
  return row ?? null;
}

export async function touchApiKey(db: DbOrTx, keyId: string): Promise<void> {
  await run(
    db
      .update(apiKeys)
      .set({ lastUsedAt: sql`now()` })
      .where(eq(apiKeys.id, keyId)),
  );
}
