import { sql } from 'drizzle-orm';
import { rows, type Db, type DbOrTx } from '../client.js';
import { SWEEP_LOCK } from '../locks.js';
import { addJobs, batchJobSpec } from '../../jobs/specs.js';

export type RelabelRun = {
  id: string;
  status: 'running' | 'done' | 'cancelled';
  total: number;
  done: number;
  startedAt: string;
  finishedAt: string | null;
};

// The threads still due in run r: labelled by the classifier before it started (threads_classifier_labelled_idx).
const stillDue = sql`from threads t where t.project_id = r.project_id and t.category_source = 'classifier' and t.categorized_at < r.started_at`;

// What run r has dealt with: its total less what is still due, never below 0 or above the total.
const progress = sql`least(r.total, greatest(0, r.total - (select count(*) ${stillDue})))::int`;

const runColumns = sql`r.id, r.status, r.total, coalesce(r.done, ${progress}) as done, r.started_at::text as "startedAt", r.finished_at::text as "finishedAt"`;

/**
 * Starts a run over every thread the classifier has labelled. One already running violates
 * relabel_runs_one_running_key.
 */
export async function startRelabel(db: Db, p: { projectId: string }): Promise<RelabelRun> {
  const [run] = await rows<RelabelRun>(
    db,
    sql`
    with r as (
      insert into relabel_runs (project_id, total)
      select ${p.projectId}, count(*)::int from threads where project_id = ${p.projectId} and category_source = 'classifier'
      returning *
    )
    select r.id, r.status, r.total, 0 as done, r.started_at::text as "startedAt", r.finished_at::text as "finishedAt" from r`,
  );
  return run;
}

/** The project's latest run, or null if it never ran one. */
export async function latestRelabel(db: DbOrTx, p: { projectId: string }): Promise<RelabelRun | null> {
  const [run] = await rows<RelabelRun>(
    db,
    sql`
    select ${runColumns} from relabel_runs r where r.project_id = ${p.projectId} order by r.started_at desc, r.id desc limit 1`,
  );
  return run ?? null;
}

/** Cancels the running run, recording its progress; null if none is running. Its batches in flight write nothing more. */
export async function cancelRelabel(db: Db, p: { projectId: string }): Promise<RelabelRun | null> {
  const [run] = await rows<RelabelRun>(
    db,
    sql`
    update relabel_runs r set status = 'cancelled', finished_at = now(), done = ${progress}
    where r.project_id = ${p.projectId} and r.status = 'running'
    returning ${runColumns}`,
  );
  return run ?? null;
}

/** Marks done the running runs with nothing left due (after their last batch, and from the sweep). */
export async function finishRelabelRuns(db: DbOrTx): Promise<void> {
  await rows(
    db,
    sql`
    update relabel_runs r set status = 'done', finished_at = now(), done = r.total
    where r.status = 'running' and not exists (select 1 ${stillDue})`,
  );
}

/**
 * The sweep's claim for relabel runs, after the unlabelled threads (new threads first): up to `limit` due
 * threads of running runs, in no batch in flight, become batches of `batchSize` with their jobs, in one
 * statement under the sweep's lock. Returns how many threads it claimed.
 */
export async function claimRelabelThreads(
  db: Db,
  p: { limit: number; batchSize: number; timeoutSeconds: number },
): Promise<number> {
  if (p.limit <= 0) return 0;
  return db.transaction(async (tx) => {
    const [lock] = await rows<{ ok: boolean }>(tx, sql`select pg_try_advisory_xact_lock(${SWEEP_LOCK}) as ok`);
    if (!lock.ok) return 0;
    const [result] = await rows<{ claimed: number }>(
      tx,
      sql`
      with picked as (
        select r.id as run_id, t.project_id, t.id
        from relabel_runs r
        cross join lateral (
          select t.id, t.project_id from threads t
          where t.project_id = r.project_id and t.category_source = 'classifier' and t.categorized_at < r.started_at
            and t.id not in (select unnest(thread_ids) from classification_batches where claimed_until > now())
          order by t.categorized_at, t.id
          limit ${p.limit}
        ) t
        where r.status = 'running'
        limit ${p.limit}
      ),
      batches as (
        insert into classification_batches (project_id, thread_ids, claimed_until, relabel_run_id)
        select project_id, array_agg(id), now() + make_interval(secs => ${p.timeoutSeconds}::int), run_id
        from (select id, project_id, run_id, (row_number() over (partition by run_id order by id) - 1) / ${p.batchSize} as n from picked) numbered
        group by run_id, project_id, n
        returning id, cardinality(thread_ids) as size
      ),
      jobs as (
        select count(*) from ${addJobs(batchJobSpec(sql`id`), sql`batches`)}
      )
      select (select coalesce(sum(size), 0)::int from batches) as claimed from jobs`,
    );
    return result.claimed;
  });
}

/** How many threads the classifier has labelled in the project, and a random sample of `n` of them with their label. */
export async function relabelSample(db: Db, p: { projectId: string; n: number }) {
  const [count] = await rows<{ n: number }>(
    db,
    sql`
    select count(*)::int as n from threads where project_id = ${p.projectId} and category_source = 'classifier'`,
  );
  const sample = await rows<{ id: string; firstQuestion: string; categoryId: string; categoryName: string }>(
    db,
    sql`
    select t.id, t.first_question as "firstQuestion", c.id as "categoryId", c.name as "categoryName"
    from threads t join categories c on c.id = t.category_id and c.project_id = t.project_id
    where t.project_id = ${p.projectId} and t.category_source = 'classifier'
    order by random() limit ${p.n}`,
  );
  return { labelled: count.n, sample };
}
