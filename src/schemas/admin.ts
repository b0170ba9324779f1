import { Type, type TSchema } from '@sinclair/typebox';
import { digestInterval, type DigestInterval as DigestIntervalValue } from '../db/schema/index.js';
import { NotBlank, Nullable, Text, Timestamp, Uuid } from './common.js';
export { listQuery } from './cursor.js';

/** The values of the database enum. */
export const DigestInterval = Type.Union(
  digestInterval.enumValues.map((v) => Type.Literal(v)),
  {
    description: 'how often the user gets the usage report; null = never',
  },
);

/** A display name: 1 to 200 characters, not blank. */
export const Name = NotBlank({ maxLength: 200 });

export const Team = Type.Object({ id: Uuid(), name: Type.String(), created_at: Timestamp() });
export const NewTeam = Type.Object({ name: Name }, { additionalProperties: false });
export const TeamChanges = NewTeam;

export const User = Type.Object({
  id: Uuid(),
  team: Uuid(),
  email: Type.String(),
  first_name: Nullable(Type.String()),
  last_name: Nullable(Type.String()),
  digest_interval: Nullable(DigestInterval),
  created_at: Timestamp(),
});
const UserFields = {
  first_name: Type.Optional(Nullable(Text({ maxLength: 200 }))),
  last_name: Type.Optional(Nullable(Text({ maxLength: 200 }))),
  digest_interval: Type.Optional(Nullable(DigestInterval)),
};
const Email = Type.String({ format: 'email', maxLength: 320, description: 'unique regardless of case' });
export const NewUser = Type.Object({ email: Email, ...UserFields }, { additionalProperties: false });
export const UserChanges = Type.Object({ email: Type.Optional(Email), ...UserFields }, { additionalProperties: false });

export const Project = Type.Object({
  id: Uuid(),
  team: Uuid(),
  project_name: Type.String(),
  product_name: Type.String(),
  created_at: Timestamp(),
});
export const NewProject = Type.Object({ project_name: Name, product_name: Name }, { additionalProperties: false });
export const ProjectChanges = Type.Object(
  { project_name: Type.Optional(Name), product_name: Type.Optional(Name) },
  { additionalProperties: false },
);

export const ApiKey = Type.Object({
  id: Uuid(),
  project: Uuid(),
  name: Type.String(),
  prefix: Type.String({ description: 'public part of the key, to recognise it in listings and logs' }),
  created_at: Timestamp(),
  last_used_at: Nullable(Timestamp('accurate to about a minute')),
  revoked_at: Nullable(Timestamp()),
});
export const NewApiKeyResponse = Type.Composite([
  ApiKey,
  Type.Object({ key: Type.String({ description: 'the secret: shown this once, store it now' }) }),
]);
export const NewApiKey = Type.Object({ name: Name }, { additionalProperties: false });
export const ApiKeyChanges = NewApiKey;

// The lists across teams: their filters (which a cursor carries) and one page.
const Search = (what: string) =>
  Type.Optional(
    Text({
      maxLength: 200,
      description: `only those whose ${what} contains this text, regardless of case (\`%\` and \`_\` are plain characters)`,
    }),
  );
const OfTeam = Type.Optional(Uuid('only those of this team (404 if there is no such team)'));
export const TeamFilters = Type.Object({ q: Search('name') }, { additionalProperties: false });
export const ProjectFilters = Type.Object(
  { team_id: OfTeam, q: Search('project name or product name') },
  { additionalProperties: false },
);
export const UserFilters = Type.Object(
  { team_id: OfTeam, q: Search('email or name') },
  { additionalProperties: false },
);
export const page = <T extends TSchema>(item: T) =>
  Type.Object({
    results: Type.Array(item),
    next: Nullable(Type.String({ description: 'cursor of the next page; null on the last page' })),
  });

// Rows as drizzle returns them, turned into the API's snake_case JSON.
type Row<T> = T & { id: string; createdAt: Date };

export const toTeam = (t: Row<{ name: string }>) => ({ id: t.id, name: t.name, created_at: t.createdAt.toISOString() });

export const toUser = (
  u: Row<{
    teamId: string;
    email: string;
    firstName: string | null;
    lastName: string | null;
    digestInterval: DigestIntervalValue | null;
  }>,
) => ({
  id: u.id,
  team: u.teamId,
  email: u.email,
  first_name: u.firstName,
  last_name: u.lastName,
  digest_interval: u.digestInterval,
  created_at: u.createdAt.toISOString(),
});

export const toProject = (p: Row<{ teamId: string; projectName: string; productName: string }>) => ({
  id: p.id,
  team: p.teamId,
  project_name: p.projectName,
  product_name: p.productName,
  created_at: p.createdAt.toISOString(),
});

export const toApiKey = (
  k: Row<{ projectId: string; name: string; prefix: string; lastUsedAt: Date | null; revokedAt: Date | null }>,
) => ({
  id: k.id,
  project: k.projectId,
  name: k.name,
  prefix: k.prefix,
  created_at: k.createdAt.toISOString(),
  last_used_at: k.lastUsedAt?.toISOString() ?? null,
  revoked_at: k.revokedAt?.toISOString() ?? null,
});
