import postgres from 'postgres';
import { AppError, conflict, notFound } from '../errors.js';
import { MAX_CATEGORIES } from './queries/categories.js';

/** The error itself and its causes (drizzle wraps the driver's error as `cause`). */
function* causes(err: unknown): Generator<unknown> {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) yield e;
}

function postgresError(err: unknown): postgres.PostgresError | undefined {
  for (const e of causes(err)) if (e instanceof postgres.PostgresError) return e;
  return undefined;
}

/** SQLSTATE of an error raised by PostgreSQL, if it is one. */
export const pgCode = (err: unknown): string | undefined => postgresError(err)?.code;

// The constraints a client's request can run into, and what they mean to that client. The query layer lets
// these violations through; the routes (one error handler) and the CLI translate them here.
export const CONSTRAINTS: Record<string, () => AppError> = {
  categories_project_name_key: () => conflict('a category with this name already exists in this project'),
  relabel_runs_one_running_key: () => conflict('a relabel is already running in this project'),
  users_email_lower_key: () => conflict('a user with this email already exists'),
  threads_project_category_fk: () => notFound('category'),
  projects_team_id_teams_id_fk: () => notFound('team'),
  users_team_id_teams_id_fk: () => notFound('team'),
  api_keys_project_id_projects_id_fk: () => notFound('project'),
  categories_project_id_projects_id_fk: () => notFound('project'),
  // A source removed (its deletion's purge) while a document was being put into it.
  documents_source_id_sources_id_fk: () => notFound('source'),
};

// Limits that are counts, not constraints (the schema cannot say "at most 50 categories a project"): the query
// counts under a lock and returns 'limit' instead of a row, and the route throws the limit's error from here.
// With the table above, every refusal a client can cause in the data layer is worded in this file.
export const LIMITS = {
  categories: () => conflict(`a project has at most ${MAX_CATEGORIES} categories`),
} satisfies Record<string, () => AppError>;

/** The client-facing error of a known constraint violation, or null. */
export function constraintError(err: unknown): AppError | null {
  const name = postgresError(err)?.constraint_name;
  return (name && CONSTRAINTS[name]?.()) || null;
}

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
