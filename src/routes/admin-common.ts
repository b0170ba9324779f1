import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { decodeCursor, type Filters, type Position } from '../schemas/cursor.js';
import { Uuid } from '../schemas/common.js';
import { badRequest, conflict, ErrorCode, notFound } from '../errors.js';

export const base = { tags: ['admin'], security: [{ adminToken: [] }] };
export const list = <T extends TSchema>(item: T) => Type.Object({ results: Type.Array(item) });
export const TeamParams = Type.Object({ team_id: Uuid() });
export const ProjectParams = Type.Object({ project_id: Uuid() });
export const UserParams = Type.Object({ user_id: Uuid() });
export const KeyParams = Type.Object({ key_id: Uuid() });
export const Deleted = (description: string) => Type.Null({ description });

/**
 * A list request's filters, page size and start: from the query, or from its cursor, which carries the
 * filters of the list it continues (a cursor sent with other filters is a 400).
 */
export function pageRequest<F extends TSchema>(
  listName: string,
  query: { limit?: number; cursor?: string },
  schema: F,
): { filters: Static<F>; limit: number; after?: Position } {
  const { limit = 20, cursor, ...given } = query as { limit?: number; cursor?: string } & Filters;
  if (cursor === undefined) return { filters: given, limit };
  const c = decodeCursor(listName, cursor, given, schema);
  if (!c.ok) throw badRequest(c.message, ErrorCode.INVALID_CURSOR);
  return { filters: c.filters, limit, after: c.position };
}

/** Throws the 404 of an unknown (or deleted) `what`: `(await getTeam(...)) ?? absent('team')`. */
export function absent(what: string): never {
  throw notFound(what);
}

/** A team delete refused because of its projects (the API's and the CLI's words). */
export const teamHasProjects = (n: number) =>
  conflict(
    `the team has ${n} project${n === 1 ? '' : 's'}: delete ${n === 1 ? 'it' : 'them'} first, or delete with cascade=true`,
  );
