import { sql, type SQL } from 'drizzle-orm';
import { rows, type Db, type DbOrTx } from '../client.js';
import type { Position } from '../../schemas/cursor.js';
import { pgCode } from '../pg-errors.js';
import { addJobs, purgeProjectSpec } from '../../jobs/specs.js';

// A project's deletion: retireProjects in the request, then the projects__purge job (tasks/projects__purge.ts)
// removes its rows in short transactions (purgeThreadBatch, purgeProjectRows) and the row itself last
// (removeProjectRow). Every step deletes what is still there, so a purge killed at any point just runs again.

/**
 * Deletes live projects in the caller's transaction: marks them deleted (gone for the API), deletes their
 * API keys (refused from the next request on) and webhooks (no more events), and queues each one's
 * projects__purge job, which removes the rest in batches. Returns the ids of the projects it deleted.
 */
export async function retireProjects(tx: DbOrTx, p: { projectId: string } | { teamId: string }): Promise<string[]> {
  const which: SQL = 'projectId' in p ? sql`id = ${p.projectId}` : sql`team_id = ${p.teamId}`;
  const retired = await rows<{ id: string }>(
    tx,
    sql`
    with gone as (
      update projects set deleted_at = now() where ${which} and deleted_at is null returning id
    ),
    keys as (delete from api_keys where project_id in (select id from gone)),
    hooks as (delete from webhooks where project_id in (select id from gone)),
    jobs as (
      select count(*) from ${addJobs(purgeProjectSpec(sql`gone.id`), sql`gone`)}
      where exists (select 1 from gone)
    )
    select id from gone, jobs`,
  );
  return retired.map((r) => r.id);
}

/** Where a project stands for its purge: `deleted` (to purge), `live` (never purge it) or `gone` (purged). */
export async function purgeStatus(db: DbOrTx, projectId: string): Promise<'deleted' | 'live' | 'gone'> {
  const [row] = await rows<{ deleted: boolean }>(
    db,
    sql`select deleted_at is not null as deleted from projects where id = ${projectId}`,
  );
  return !row ? 'gone' : row.deleted ? 'deleted' : 'live';
}

export type PurgedThreads = { threads: number; questionAnswers: number; feedback: number; last: Position | null };

/**
 * Deletes up to `limit` threads of a project with their question-answers and feedback, in one statement:
 * newest first from `after` (where the previous batch stopped, along the project's created_at index), so no
 * batch re-reads the index entries earlier batches left dead. `last` is where this one stopped.
 */
export async function purgeThreadBatch(
  db: DbOrTx,
  p: { projectId: string; limit: number; after?: Position | null },
): Promise<PurgedThreads> {
  const after = p.after ? sql`and (created_at, id) < (${p.after.at}::timestamptz, ${p.after.id}::uuid)` : sql``;
  // One snapshot for the three deletes: the foreign keys' cascades, fired at the end, find nothing left to do.
  // The rows are named by id arrays (`= any(...)`), never joined: whatever the plan cache makes of the
  // project's share of a table, each delete is index probes on primary or foreign keys, not a scan.
  const [r] = await rows<{
    threads: number;
    questionAnswers: number;
    feedback: number;
    lastAt: string | null;
    lastId: string | null;
  }>(
    db,
    sql`
    with picked as (
      select id, created_at from threads where project_id = ${p.projectId} ${after}
      order by created_at desc, id desc limit ${p.limit}
    ),
    answers as (
      select id from question_answers where thread_id = any(array(select id from picked)) and project_id = ${p.projectId}
    ),
    fb as (delete from feedback where question_answer_id = any(array(select id from answers)) and project_id = ${p.projectId} returning 1),
    qa as (delete from question_answers where id = any(array(select id from answers)) and project_id = ${p.projectId} returning 1),
    th as (delete from threads where id = any(array(select id from picked)) and project_id = ${p.projectId} returning 1),
    last as (select created_at::text as at, id::text as id from picked order by created_at, id limit 1)
    select (select count(*)::int from th) as threads, (select count(*)::int from qa) as "questionAnswers",
      (select count(*)::int from fb) as feedback, (select at from last) as "lastAt", (select id from last) as "lastId"`,
  );
  return {
    threads: r.threads,
    questionAnswers: r.questionAnswers,
    feedback: r.feedback,
    last: r.lastAt && r.lastId ? { at: r.lastAt, id: r.lastId } : null,
  };
}

type Target = { schema: string; table: string; column: string };

// Every table with a foreign key to projects, read from the catalog so that tables added by later migrations
// are purged in batches too (and not in one long cascade when the row goes), plus the time series' deltas,
// which have no foreign key.
const TARGETS = sql`
  select n.nspname as schema, c.relname as table, a.attname as column
  from pg_constraint k
  join pg_class c on c.oid = k.conrelid
  join pg_namespace n on n.oid = c.relnamespace
  join pg_attribute a on a.attrelid = k.conrelid and a.attnum = k.conkey[1]
  where k.contype = 'f' and k.confrelid = 'projects'::regclass and cardinality(k.conkey) = 1 and k.conrelid <> k.confrelid
  union
  select 'public', 'thread_count_deltas', 'project_id'
  order by 2`;

const FOREIGN_KEY_VIOLATION = '23503';

/**
 * Deletes every row of a project in every table that refers to it, `limit` rows per transaction. A table
 * still referred to by another (categories, by a thread that arrived late) is left for after the others.
 * Returns the rows deleted per table.
 */
export async function purgeProjectRows(
  db: Db,
  p: { projectId: string; limit: number },
): Promise<Record<string, number>> {
  const deleted: Record<string, number> = {};
  let pending = await rows<Target>(db, TARGETS);
  while (pending.length > 0) {
    const blocked: Target[] = [];
    for (const t of pending) {
      const table = sql`${sql.identifier(t.schema)}.${sql.identifier(t.table)}`;
      try {
        let n: number;
        do {
          const [r] = await rows<{ n: number }>(
            db,
            sql`
            with d as (
              delete from ${table} where ctid = any(array(
                select ctid from ${table} where ${sql.identifier(t.column)} = ${p.projectId}::uuid limit ${p.limit}))
              returning 1
            )
            select count(*)::int as n from d`,
          );
          n = r.n;
          if (n > 0) deleted[t.table] = (deleted[t.table] ?? 0) + n;
        } while (n === p.limit);
      } catch (err) {
        if (pgCode(err) !== FOREIGN_KEY_VIOLATION) throw err;
        blocked.push(t);
      }
    }
    if (blocked.length === pending.length) {
      throw new Error(
        `purge of project ${p.projectId}: rows of ${blocked.map((t) => t.table).join(', ')} are still referred to`,
      );
    }
    pending = blocked;
  }
  return deleted;
}

/**
 * The purge's last step: deletes the project's row (cascading to anything written since the batches) and its
 * team's row if the team was deleted and this was its last project. The team row is locked first, as a
 * team's delete does, so two purges of one team's last projects cannot both miss the team.
 */
export async function removeProjectRow(
  db: Db,
  p: { projectId: string },
): Promise<{ removed: boolean; teamRemoved: boolean }> {
  return db.transaction(async (tx) => {
    const [project] = await rows<{ teamId: string }>(
      tx,
      sql`select team_id as "teamId" from projects where id = ${p.projectId} and deleted_at is not null`,
    );
    if (!project) return { removed: false, teamRemoved: false };
    await rows(tx, sql`select id from teams where id = ${project.teamId} for update`);
    await rows(tx, sql`delete from projects where id = ${p.projectId}`);
    const team = await rows(
      tx,
      sql`
      delete from teams where id = ${project.teamId} and deleted_at is not null
        and not exists (select 1 from projects where team_id = ${project.teamId})
      returning id`,
    );
    return { removed: true, teamRemoved: team.length > 0 };
  });
}
