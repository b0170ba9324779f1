import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { PgDialect, type PgTransaction } from 'drizzle-orm/pg-core';
import type { PostgresJsQueryResultHKT } from 'drizzle-orm/postgres-js';
import type { ExtractTablesWithRelations, SQL } from 'drizzle-orm';
import postgres from 'postgres';
import * as schema from './schema/index.js';

export type Schema = typeof schema;
export type Db = PostgresJsDatabase<Schema> & { $client: postgres.Sql };
export type Tx = PgTransaction<PostgresJsQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
export type DbOrTx = Db | Tx;

// A server that does not answer a connection attempt within this long counts as unavailable: requests
// then get their 503 within the 2 s the API promises.
const CONNECT_TIMEOUT_SECONDS = 1.5;

export interface DbOptions {
  /** Connections in the pool. */
  max?: number;
  /** statement_timeout of every statement on these connections (0: none). */
  statementTimeoutMs?: number;
}

export function createDb(url: string, opts: DbOptions = {}): Db {
  const client = postgres(url, {
    max: opts.max ?? 10,
    connect_timeout: CONNECT_TIMEOUT_SECONDS,
    // No reconnect backoff: by default a query waits out a growing pause (seconds, then tens of seconds)
    // after failed connection attempts, so during an outage answers would come late, and after it the
    // pool would stay away. A refused connection costs one round trip.
    backoff: () => 0,
    // postgres.js 3.4.9 reads the server's array types as the first statement of each new connection and
    // drops that promise: a connection lost during it (a database outage) is an unhandled rejection, which
    // ends the process (porsager/postgres#1192, #1223; no release fixes it). Our array parameters are text
    // literals cast in SQL, and drizzle parses the one array column we read, so the types are not needed.
    fetch_types: false,
    onnotice: () => {},
    connection: {
      // Sessions run in UTC so timestamps read back as text (cursors) are unambiguous.
      TimeZone: 'UTC',
      application_name: 'docs-chat',
      statement_timeout: opts.statementTimeoutMs ?? 0,
      // A transaction left open by a stuck client never holds its locks for long.
      idle_in_transaction_session_timeout: opts.statementTimeoutMs ? opts.statementTimeoutMs * 2 : 0,
    },
  });
  return drizzle(client, { schema, casing: 'snake_case' });
}

// drizzle sends a statement unprepared unless it is run as a named prepared query: then postgres.js parses
// and plans it once per connection and caches it (by its text: the name below only switches this on). An
// unprepared statement costs an extra round trip and a parse and plan each time (measured: 0.3 ms against
// 0.2 ms). Every statement goes through one of these two, in a transaction too (tx has its own session).
const PREPARED = 'prepared';
const dialect = new PgDialect({ casing: 'snake_case' });

/** Runs a query-builder statement (select, insert, update, delete) as a prepared statement. */
export function run<R>(query: { prepare(name: string): { execute(): Promise<R> } }): Promise<R> {
  return query.prepare(PREPARED).execute();
}

/**
 * A hot builder statement, built once per pool and kept: later calls only bind their values (as
 * `sql.placeholder`s) and execute. Otherwise drizzle builds the statement's SQL text on every call, which
 * was a fifth of the API's CPU on a threads page.
 */
export function statement<V extends Record<string, unknown>, R>(
  build: (db: Db) => { prepare(name: string): { execute(values: V): Promise<R> } },
) {
  const built = new WeakMap<Db, { execute(values: V): Promise<R> }>();
  return (db: Db, values: V): Promise<R> => {
    let prepared = built.get(db);
    if (!prepared) built.set(db, (prepared = build(db).prepare(PREPARED)));
    return prepared.execute(values);
  };
}

/**
 * Runs raw SQL as a prepared statement, for the statements the builder cannot express (data-modifying
 * CTEs, graphile_worker.add_job in the same statement). T names the columns it returns, aliased in
 * camelCase (`created_at as "createdAt"`) as the builder returns them: the query layer has one row casing.
 */
export function rows<T>(db: DbOrTx, statement: SQL): Promise<T[]> {
  return db._.session
    .prepareQuery<{ execute: T[]; all: T[]; values: unknown[][] }>(
      dialect.sqlToQuery(statement),
      undefined,
      PREPARED,
      false,
    )
    .execute();
}

export async function closeDb(db: Db): Promise<void> {
  await db.$client.end({ timeout: 5 });
}
