import { sql, type SQL } from 'drizzle-orm';
import { rows, type DbOrTx } from '../db/client.js';

// Every graphile-worker job is enqueued through this module: the task identifiers, their attempts, keys and
// priorities, and the SQL that adds them inside the caller's statement or transaction (a job commits with the
// data it is about, or not at all). The task list (task-list.ts) maps the same identifiers to their tasks.

export const CLASSIFY_TASK = 'threads__classify';
export const BATCH_TASK = 'classification__batch';
export const SWEEP_TASK = 'classification__sweep';
export const PURGE_PROJECT_TASK = 'projects__purge';
export const FAN_OUT_TASK = 'reports__fan_out';
export const SEND_REPORT_TASK = 'reports__send';
// The PL/pgSQL triggers repeat these two (a landed migration cannot import them): webhook_jobs() in
// drizzle/0008_webhooks.sql adds DELIVER_TASK with DELIVER_MAX_ATTEMPTS at LIVE_PRIORITY, and thread_counts_add()
// in drizzle/0011_thread_counts_fold.sql adds COMPACT_COUNTS_TASK keyed COMPACT_SOON_KEY. test/jobs.test.ts
// fires both triggers and fails if the jobs they add differ from these constants.
export const DELIVER_TASK = 'webhooks__deliver';
export const COMPACT_COUNTS_TASK = 'thread_counts__compact';

export const CRAWL_TASK = 'sources__crawl';
export const INDEX_PAGE_TASK = 'sources__index_page';
export const CRAWL_LANE_TASK = 'sources__crawl_lane';
export const FINISH_CRAWL_TASK = 'sources__finish';
export const REFRESH_DUE_TASK = 'sources__refresh_due';
export const SEARCH_STATS_TASK = 'sources__stats';
export const PURGE_SOURCE_TASK = 'sources__purge';

export const LIVE_PRIORITY = 0;
export const BACKFILL_PRIORITY = 10;

// Few attempts (about 1.5 minutes of backoff in all): after that the sweep enqueues the thread again.
export const CLASSIFY_MAX_ATTEMPTS = 5;
// graphile-worker's backoff of e^min(attempt, 10) seconds spreads 22 attempts over about 3.2 days.
export const DELIVER_MAX_ATTEMPTS = 22;
// About four days of backoff: an SMTP outage over a weekend still delivers. After that the row stays
// pending; `reports send --date` queues it again.
export const SEND_REPORT_MAX_ATTEMPTS = 25;
// A purge that keeps failing is retried for about a day, then waits for an operator.
export const PURGE_MAX_ATTEMPTS = 25;

// A compaction a few seconds ahead, asked for by a statement that appended many deltas; requests merge into it.
export const COMPACT_SOON_KEY = 'thread_counts_compact_soon';
const SWEEP_KICK_KEY = 'classification_sweep_kick';
const SWEEP_EXPIRY_KEY = 'classification_sweep_expiry';

const literal = (n: number) => sql.raw(String(n));

/** The job key of a report's send: at most one queued job per report. `reportId` is SQL (a column or a value). */
export const sendReportKey = (reportId: SQL) => sql`${`${SEND_REPORT_TASK}:`} || ${reportId}`;

/**
 * add_job for a new thread, in the statement that creates it. Keyed by the thread with job_key_mode
 * 'unsafe_dedupe', which takes add_job's plain path: one insert (a key nobody else uses never conflicts).
 * The default path goes through add_jobs, whose PL/pgSQL costs more per chat; a new thread has no job to
 * replace, so the two mean the same here.
 */
export function newThreadJob(projectId: SQL, threadId: SQL): SQL {
  return sql`graphile_worker.add_job(
    ${CLASSIFY_TASK},
    json_build_object('project_id', ${projectId}, 'thread_ids', json_build_array(${threadId})),
    priority := ${literal(LIVE_PRIORITY)},
    max_attempts := ${literal(CLASSIFY_MAX_ATTEMPTS)},
    job_key := ${`${CLASSIFY_TASK}:`} || ${threadId},
    job_key_mode := 'unsafe_dedupe')`;
}

/** add_job for threads__classify (a thread handed back to the classifier); `threadIds` gives a json array. */
export function classifyJob(projectId: SQL, threadIds: SQL): SQL {
  return sql`graphile_worker.add_job(
    ${CLASSIFY_TASK},
    json_build_object('project_id', ${projectId}, 'thread_ids', ${threadIds}),
    priority := ${literal(LIVE_PRIORITY)},
    max_attempts := ${literal(CLASSIFY_MAX_ATTEMPTS)})`;
}

/** add_job for reports__send, keyed by the report. */
export function sendReportJob(reportId: SQL): SQL {
  return sql`graphile_worker.add_job(
    ${SEND_REPORT_TASK}, json_build_object('report_id', ${reportId}),
    job_key := ${sendReportKey(reportId)}, max_attempts := ${literal(SEND_REPORT_MAX_ATTEMPTS)})`;
}

/**
 * One add_jobs call (one NOTIFY however many jobs) with one spec per row of `from`: `spec` is one of the
 * builders below over that row's columns. Returns a set of jobs, e.g. `select count(*) from ${addJobs(...)}`.
 */
export const addJobs = (spec: SQL, from: SQL): SQL => sql`graphile_worker.add_jobs(array(select ${spec} from ${from}))`;

/** A classification__batch job spec: a backfill's or a relabel's claimed batch, behind the live lane's jobs. */
export function batchJobSpec(batchId: SQL): SQL {
  return sql`(${BATCH_TASK}, json_build_object('batch_id', ${batchId}), null, null, ${literal(CLASSIFY_MAX_ATTEMPTS)},
    null, ${literal(BACKFILL_PRIORITY)}, null)::graphile_worker.job_spec`;
}

/**
 * A projects__purge job spec, keyed by the project: a delete and the purge's own next step never leave two
 * queued. `after` is where the previous step stopped (json or null).
 */
export function purgeProjectSpec(projectId: SQL, after: SQL = sql`null`): SQL {
  return sql`(${PURGE_PROJECT_TASK}, json_strip_nulls(json_build_object('project_id', ${projectId}, 'after', ${after})),
    null, null, ${literal(PURGE_MAX_ATTEMPTS)}, ${`${PURGE_PROJECT_TASK}:`} || ${projectId}, ${literal(BACKFILL_PRIORITY)},
    null)::graphile_worker.job_spec`;
}

/** The purge's next step, queued behind whatever else waits in the background lane. */
export async function addPurgeStep(
  db: DbOrTx,
  projectId: string,
  after: { at: string; id: string } | null,
): Promise<void> {
  const resume = after ? sql`${JSON.stringify(after)}::json` : sql`null`;
  await rows(db, sql`select graphile_worker.add_jobs(array[${purgeProjectSpec(sql`${projectId}::uuid`, resume)}])`);
}

/**
 * Runs a sweep now, or after `delayMs`, besides its crontab schedule. Keyed: kicks that arrive while one
 * is queued merge into it (preserve_run_at keeps the earlier time); a kick during a running sweep queues
 * one more.
 */
export async function kickSweep(db: DbOrTx, delayMs = 0): Promise<void> {
  await rows(
    db,
    sql`select graphile_worker.add_job(${SWEEP_TASK}, '{}'::json,
    run_at := now() + make_interval(secs => ${delayMs / 1000}::float8), job_key := ${SWEEP_KICK_KEY},
    job_key_mode := 'preserve_run_at')`,
  );
}

/** A sweep at `at` (replacing the one this key scheduled before): when the next backfill batch expires. */
export async function sweepAt(db: DbOrTx, at: string): Promise<void> {
  await rows(
    db,
    sql`select graphile_worker.add_job(${SWEEP_TASK}, '{}'::json,
    run_at := ${at}::timestamptz, job_key := ${SWEEP_EXPIRY_KEY}, job_key_mode := 'replace')`,
  );
}

// Knowledge sources: crawling and indexing run in the background lane. A crawl runs CRAWL_CONCURRENCY lane
// jobs, each taking the crawl's pending pages one after another, so at most that many requests of one source
// are in flight. An uploaded file's job is keyed by its document (a new upload of a file still queued merges
// into its job); a source's files go through CRAWL_CONCURRENCY named queues, each running one job at a time.
export const CRAWL_MAX_ATTEMPTS = 5;
export const INDEX_PAGE_MAX_ATTEMPTS = 5;
export const CRAWL_LANE_MAX_ATTEMPTS = 5;
// Word statistics are recomputed a moment after a change: a burst of indexed pages merges into one run.
const SEARCH_STATS_DELAY_SECONDS = 2;

/** add_job for sources__crawl: one crawl of a source at a time, keyed by the source. */
export function crawlJob(sourceId: SQL, crawlId: SQL): SQL {
  return sql`graphile_worker.add_job(${CRAWL_TASK}, json_build_object('source_id', ${sourceId}, 'crawl_id', ${crawlId}),
    job_key := ${`${CRAWL_TASK}:`} || ${sourceId}, max_attempts := ${literal(CRAWL_MAX_ATTEMPTS)},
    priority := ${literal(BACKFILL_PRIORITY)})`;
}

/** add_job for sources__crawl_lane: one of a crawl's lanes (see src/sources/crawl.ts). */
export function crawlLaneJob(sourceId: SQL, crawlId: SQL): SQL {
  return sql`graphile_worker.add_job(${CRAWL_LANE_TASK},
    json_build_object('source_id', ${sourceId}, 'crawl_id', ${crawlId}),
    max_attempts := ${literal(CRAWL_LANE_MAX_ATTEMPTS)}, priority := ${literal(BACKFILL_PRIORITY)})`;
}

/**
 * A sources__index_page job spec for one uploaded file's document (a row of `from` in addJobs); `lane` picks
 * one of the source's CRAWL_CONCURRENCY queues (e.g. a row number modulo it).
 */
export function indexPageSpec(sourceId: SQL, documentId: SQL, crawlId: SQL, lane: SQL): SQL {
  return sql`(${INDEX_PAGE_TASK},
    json_build_object('source_id', ${sourceId}, 'document_id', ${documentId}, 'crawl_id', ${crawlId}),
    'sources:' || ${sourceId} || ':' || ${lane}, null, ${literal(INDEX_PAGE_MAX_ATTEMPTS)},
    ${`${INDEX_PAGE_TASK}:`} || ${documentId}, ${literal(BACKFILL_PRIORITY)}, null)::graphile_worker.job_spec`;
}

/** add_job for sources__finish: the end of a crawl, once (keyed by the source). */
export function finishCrawlJob(sourceId: SQL, crawlId: SQL): SQL {
  return sql`graphile_worker.add_job(${FINISH_CRAWL_TASK},
    json_build_object('source_id', ${sourceId}, 'crawl_id', ${crawlId}),
    job_key := ${`${FINISH_CRAWL_TASK}:`} || ${sourceId}, priority := ${literal(BACKFILL_PRIORITY)})`;
}

/** add_job for sources__stats, a moment ahead; requests for a project merge into the queued one. */
export function searchStatsJob(projectId: SQL): SQL {
  return sql`graphile_worker.add_job(${SEARCH_STATS_TASK}, json_build_object('project_id', ${projectId}),
    run_at := now() + interval '${sql.raw(String(SEARCH_STATS_DELAY_SECONDS))} seconds',
    job_key := ${`${SEARCH_STATS_TASK}:`} || ${projectId}, job_key_mode := 'preserve_run_at',
    priority := ${literal(BACKFILL_PRIORITY)})`;
}

/** add_job for sources__purge: removes a deleted source's rows in batches (re-added by itself until done). */
export function purgeSourceJob(sourceId: SQL): SQL {
  return sql`graphile_worker.add_job(${PURGE_SOURCE_TASK}, json_build_object('source_id', ${sourceId}),
    job_key := ${`${PURGE_SOURCE_TASK}:`} || ${sourceId}, max_attempts := ${literal(PURGE_MAX_ATTEMPTS)},
    priority := ${literal(BACKFILL_PRIORITY)})`;
}
