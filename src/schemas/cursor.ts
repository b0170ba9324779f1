import { Type, type TObject, type TSchema } from '@sinclair/typebox';
import { Uuid } from './common.js';
import { check } from './validation.js';

/** Where a keyset page ends: the sort key as PostgreSQL printed it (UTC, microseconds) and the row's id. */
export interface Position {
  at: string;
  id: string;
}

/** A list's filters as the client sent them (query parameters, as text); absent ones are left out. */
export type Filters = Record<string, string | undefined>;

// The sort key as PostgreSQL prints a timestamptz in UTC: a JS Date would drop the microseconds and skip or
// repeat rows that share a millisecond.
const TS_RE = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)\+00$/;
const Instant = Type.String({ format: 'date-time' });
const Id = Uuid();

const defined = (f: Filters) =>
  Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) as Record<string, string>;
const describe = (f: Record<string, string>) =>
  Object.keys(f).length
    ? Object.entries(f)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')
    : 'no filters';

/**
 * The `next` of a page: which list (`list`), its filters (and so its order) and where the page ended,
 * so that the cursor alone continues the same list.
 */
export function encodeCursor(list: string, filters: Filters, at: Position): string {
  return Buffer.from(JSON.stringify({ l: list, f: defined(filters), p: [at.at, at.id] })).toString('base64url');
}

export type DecodedCursor =
  { ok: true; filters: Record<string, string>; position: Position } | { ok: false; message: string };

/**
 * Reads a cursor of `list`. The request's own filters, if it sends any, must be the cursor's; a cursor sent
 * alone continues with the filters it carries (checked against `schema`, as if sent). Anything tampered, truncated or of another list is refused
 * with a message, never passed on as a value PostgreSQL would refuse.
 */
export function decodeCursor(list: string, cursor: string, given: Filters, schema: TSchema): DecodedCursor {
  const invalid = {
    ok: false,
    message: 'cursor: not a cursor of this list; pass the `next` value of a previous page',
  } as const;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString());
  } catch {
    return invalid;
  }
  const { l, f, p } = (parsed ?? {}) as { l?: unknown; f?: unknown; p?: unknown };
  if (l !== list || !f || typeof f !== 'object' || Array.isArray(f) || !Array.isArray(p) || p.length !== 2)
    return invalid;
  // The filters it carries are checked as if sent: a tampered cursor cannot smuggle a value in.
  if (!Object.values(f).every((v) => typeof v === 'string') || !check(schema, f, { fromText: true }).ok) return invalid;
  const [at, id] = p as unknown[];
  const ts = typeof at === 'string' ? TS_RE.exec(at) : null;
  if (!ts || !check(Instant, `${ts[1]}T${ts[2]}Z`).ok || !check(Id, id).ok) return invalid;
  const carried = f as Record<string, string>;
  const sent = defined(given);
  const sentKeys = Object.keys(sent);
  if (
    sentKeys.length > 0 &&
    (sentKeys.length !== Object.keys(carried).length || sentKeys.some((k) => sent[k] !== carried[k]))
  ) {
    return {
      ok: false,
      message: `cursor: it continues the list with ${describe(carried)}, but this request asks for ${describe(sent)}; send the cursor alone, or start again without it`,
    };
  }
  return { ok: true, filters: carried, position: { at: at as string, id: id as string } };
}

/** The paging parameters of every cursor-paged list. */
const Paging = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  cursor: Type.Optional(
    Type.String({
      maxLength: 1000,
      description: 'the `next` of the previous page: it carries the filters, so send it alone',
    }),
  ),
});

/** A paged list's query string: its filters and the paging parameters, nothing else. */
export const listQuery = <F extends TObject>(filters: F) =>
  Type.Composite([filters, Paging], { additionalProperties: false });
