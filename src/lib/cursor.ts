import type { ThreadCursor } from '../db/queries/threads.js';
import { badRequest } from '../errors.js';

// The cursor carries created_at as PostgreSQL printed it (UTC, microseconds): a JS Date would drop the
// microseconds and skip or repeat rows that share a millisecond.
const TS_RE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?\+00$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeCursor(c: ThreadCursor): string {
  return Buffer.from(`${c.createdAt}|${c.id}`).toString('base64url');
}

export function decodeCursor(cursor: string): ThreadCursor {
  const [createdAt, id, ...rest] = Buffer.from(cursor, 'base64url').toString().split('|');
  if (rest.length > 0 || !createdAt || !id || !TS_RE.test(createdAt) || !UUID_RE.test(id)) {
    throw badRequest('invalid cursor: pass the `next` value of a previous page', 'INVALID_CURSOR');
  }
  return { createdAt, id };
}
