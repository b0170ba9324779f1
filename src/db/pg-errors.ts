import postgres from 'postgres';
import { notFound } from '../errors.js';

/** The error itself and its causes (drizzle wraps the driver's error as `cause`). */
function* causes(err: unknown): Generator<unknown> {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) yield e;
}

/** SQLSTATE of an error raised by PostgreSQL, if it is one. */
export function pgCode(err: unknown): string | undefined {
  for (const e of causes(err)) if (e instanceof postgres.PostgresError) return e.code;
  return undefined;
}

export const UNIQUE_VIOLATION = '23505';
export const FOREIGN_KEY_VIOLATION = '23503';
const QUERY_CANCELED = '57014'; // statement_timeout

// The driver's and the socket's codes for a server that cannot be reached or went away.
const CONNECTION_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Why a statement failed when the fault is the database's availability, not the statement: `unavailable`
 * (unreachable, shutting down, starting up, out of connections) or `timeout` (statement_timeout). Null for
 * any other error.
 */
export function databaseFault(err: unknown): 'unavailable' | 'timeout' | null {
  for (const e of causes(err)) {
    if (e instanceof postgres.PostgresError) {
      if (e.code === QUERY_CANCELED) return 'timeout';
      // 08: connection exception; 57P01-03: admin shutdown, crash shutdown, cannot connect now; 53300: too many connections.
      if (e.code.startsWith('08') || /^57P0[1-3]$/.test(e.code) || e.code === '53300') return 'unavailable';
      return null;
    }
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return 'unavailable';
  }
  return null;
}

/** Runs an insert whose foreign key names its parent: a missing parent becomes a 404 "<parent> not found". */
export async function insertUnder<T>(parent: string, insert: () => Promise<T>): Promise<T> {
  try {
    return await insert();
  } catch (err) {
    if (pgCode(err) === FOREIGN_KEY_VIOLATION) throw notFound(parent);
    throw err;
  }
}
