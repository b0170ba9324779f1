import postgres from 'postgres';
import { notFound } from '../errors.js';

/** SQLSTATE of an error raised by PostgreSQL, if it is one (drizzle wraps it as the error's cause). */
export function pgCode(err: unknown): string | undefined {
  if (err instanceof postgres.PostgresError) return err.code;
  return err instanceof Error && err.cause ? pgCode(err.cause) : undefined;
}

export const UNIQUE_VIOLATION = '23505';
export const FOREIGN_KEY_VIOLATION = '23503';

/** Runs an insert whose foreign key names its parent: a missing parent becomes a 404 "<parent> not found". */
export async function insertUnder<T>(parent: string, insert: () => Promise<T>): Promise<T> {
  try {
    return await insert();
  } catch (err) {
    if (pgCode(err) === FOREIGN_KEY_VIOLATION) throw notFound(parent);
    throw err;
  }
}
