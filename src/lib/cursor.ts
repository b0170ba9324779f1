import { Type } from '@sinclair/typebox';
import type { ThreadCursor } from '../db/queries/threads.js';
import { ErrorCode, badRequest } from '../errors.js';
import { Uuid } from '../schemas/common.js';
import { check } from '../schemas/validation.js';

// The cursor carries created_at (or updated_at) as PostgreSQL printed it (UTC, microseconds): a JS Date would drop the
// microseconds and skip or repeat rows that share a millisecond.
const TS_RE = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)\+00$/;
const Instant = Type.String({ format: 'date-time' });
const Id = Uuid();

// A cursor of the sync order (updated_since) is marked, so that it is never read as one of the other order.
const SYNC = 'u';

export function encodeCursor(c: ThreadCursor, sync = false): string {
  return Buffer.from(`${sync ? `${SYNC}|` : ''}${c.at}|${c.id}`).toString('base64url');
}

/** The cursor of a `next`; anything else (tampered, truncated, of the other order) is a 400, never a value PostgreSQL refuses. */
export function decodeCursor(cursor: string, sync = false): ThreadCursor {
  const parts = Buffer.from(cursor, 'base64url').toString().split('|');
  if (sync && parts.shift() !== SYNC) throw invalid();
  const [at, id, ...rest] = parts;
  const ts = TS_RE.exec(at ?? '');
  if (rest.length > 0 || !ts || !check(Instant, `${ts[1]}T${ts[2]}Z`).ok || !check(Id, id).ok) throw invalid();
  return { at: at!, id: id! };
}

const invalid = () => badRequest('invalid cursor: pass the `next` value of a previous page', ErrorCode.INVALID_CURSOR);
