import { Type } from '@sinclair/typebox';
import type { ThreadCursor } from '../db/queries/threads.js';
import { ErrorCode, badRequest } from '../errors.js';
import { Uuid } from '../schemas/common.js';
import { check } from '../schemas/validation.js';

// The cursor carries created_at as PostgreSQL printed it (UTC, microseconds): a JS Date would drop the
// microseconds and skip or repeat rows that share a millisecond.
const TS_RE = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)\+00$/;
const Instant = Type.String({ format: 'date-time' });
const Id = Uuid();

export function encodeCursor(c: ThreadCursor): string {
  return Buffer.from(`${c.createdAt}|${c.id}`).toString('base64url');
}

/** The cursor of a `next`; anything else (tampered, truncated) is a 400, never a value PostgreSQL refuses. */
export function decodeCursor(cursor: string): ThreadCursor {
  const [createdAt, id, ...rest] = Buffer.from(cursor, 'base64url').toString().split('|');
  const ts = TS_RE.exec(createdAt ?? '');
  if (rest.length > 0 || !ts || !check(Instant, `${ts[1]}T${ts[2]}Z`).ok || !check(Id, id).ok) {
    throw badRequest('invalid cursor: pass the `next` value of a previous page', ErrorCode.INVALID_CURSOR);
  }
  return { createdAt: createdAt!, id: id! };
}
