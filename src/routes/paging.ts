import type { Static, TSchema } from '@sinclair/typebox';
import { badRequest, ErrorCode } from '../errors.js';
import { decodeCursor, type Filters, type Position } from '../schemas/cursor.js';

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
