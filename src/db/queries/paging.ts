import { sql, type AnyColumn, type SQL } from 'drizzle-orm';
import type { Position } from '../../schemas/cursor.js';

/** One page of an admin list, oldest first: `limit` rows and where the next page starts (null: the last). */
export type Page<T> = { rows: T[]; next: Position | null };
export type PageParams = { limit?: number; after?: Position };

/** The sort key as PostgreSQL prints it (the session is in UTC): the cursor keeps its microseconds. */
export const cursorAt = (createdAt: AnyColumn) => sql<string>`${createdAt}::text`;

/** Rows after `pos` in (created_at, id) order. */
export const afterPosition = (createdAt: AnyColumn, id: AnyColumn, pos?: Position): SQL | undefined =>
  pos ? sql`(${createdAt}, ${id}) > (${pos.at}::timestamptz, ${pos.id}::uuid)` : undefined;

/** A row without the sort key it was read with (which only the next page's cursor needs). */
function withoutCursor<T extends { cursorAt: string }>(row: T): Omit<T, 'cursorAt'> {
  const copy: Partial<T> = { ...row };
  delete copy.cursorAt;
  return copy as Omit<T, 'cursorAt'>;
}

/** A page from the `limit + 1` rows read: the extra one only says that there is more. */
export function toPage<T extends { id: string; cursorAt: string }>(
  found: T[],
  limit: number | undefined,
): Page<Omit<T, 'cursorAt'>> {
  const more = limit !== undefined && found.length > limit;
  const kept = more ? found.slice(0, limit) : found;
  const last = kept.at(-1);
  return {
    rows: kept.map(withoutCursor),
    next: more && last ? { at: last.cursorAt, id: last.id } : null,
  };
}

/** An ILIKE pattern matching `q` anywhere, with `%`, `_` and `\` taken literally. */
export const containing = (q: string) => `%${q.replace(/[\\%_]/g, '\\$&')}%`;
