import { Type, type Static } from '@sinclair/typebox';
import { Nullable, Text, Timestamp, Uuid } from './common.js';
import { listQuery } from './cursor.js';
import { check } from './validation.js';
import type { FailedJob, TaskQueue } from '../db/queries/jobs.js';
import type { RunningCrawl } from '../db/queries/crawls.js';

// What the back office shows of the work in the background: the job queue per task, the failed jobs, the
// crawls running.

const Count = (description: string) => Type.Integer({ minimum: 0, description });

export const TaskQueueSchema = Type.Object({
  task: Type.String({ description: 'the task identifier, e.g. threads__classify' }),
  waiting: Count('due now, waiting for a worker'),
  scheduled: Count('due later: a retry after its backoff, a delayed run'),
  running: Count('locked by a worker'),
  retrying: Count('waiting or scheduled after at least one failed attempt'),
  failed: Count('attempts spent: kept by the queue, never run again'),
  oldest_waiting_since: Nullable(Timestamp('when the oldest job due now became due; null when none waits')),
});
export const JobQueue = Type.Object({
  results: Type.Array(TaskQueueSchema, {
    description: 'every task a worker runs (zeros included), and any other task with jobs, by identifier',
  }),
});

export const FailedJobSchema = Type.Object({
  id: Type.String({ description: "graphile-worker's job id" }),
  task: Type.String(),
  attempts: Type.Integer(),
  max_attempts: Type.Integer(),
  last_error: Nullable(Type.String({ description: "the last attempt's error: its first 4,000 characters" })),
  project: Nullable(Type.String({ description: 'the project the job is about, when its payload names one' })),
  key: Nullable(Type.String({ description: "the job's key, if it has one" })),
  run_at: Timestamp('when its last attempt was due'),
  created_at: Timestamp(),
  updated_at: Timestamp('when it last changed: its last failure'),
});
export const FailedJobFilters = Type.Object(
  { task: Type.Optional(Text({ maxLength: 200, description: "only this task's failed jobs" })) },
  { additionalProperties: false },
);
export const FailedJobsQuery = listQuery(FailedJobFilters);
export const FailedJobsPage = Type.Object({
  results: Type.Array(FailedJobSchema),
  next: Nullable(Type.String({ description: 'cursor of the next page; null on the last page' })),
});

const iso = (d: Date | string) => new Date(d).toISOString();

export const toTaskQueue = (q: TaskQueue): Static<typeof TaskQueueSchema> => ({
  task: q.task,
  waiting: q.waiting,
  scheduled: q.scheduled,
  running: q.running,
  retrying: q.retrying,
  failed: q.failed,
  oldest_waiting_since: q.oldestWaitingSince && iso(q.oldestWaitingSince),
});

export const toFailedJob = (j: FailedJob): Static<typeof FailedJobSchema> => ({
  id: j.id,
  task: j.task,
  attempts: j.attempts,
  max_attempts: j.maxAttempts,
  last_error: j.lastError,
  project: j.projectId,
  key: j.key,
  run_at: iso(j.runAt),
  created_at: iso(j.createdAt),
  updated_at: iso(j.updatedAt),
});

// The failed jobs' cursor: the list's filters and the last job id seen (a job id is a number, not the
// (created_at, uuid) position of the other admin lists).
const LIST = 'admin-failed-jobs';
type Filters = Static<typeof FailedJobFilters>;

export const encodeJobCursor = (filters: Filters, lastId: string) =>
  Buffer.from(JSON.stringify({ l: LIST, f: filters, p: lastId })).toString('base64url');

/** The filters and position a cursor carries, or the words of why it is refused. */
export function decodeJobCursor(
  cursor: string,
  given: Filters,
): { ok: true; filters: Filters; beforeId: string } | { ok: false; message: string } {
  let parsed: { l?: unknown; f?: unknown; p?: unknown } = {};
  try {
    parsed = (JSON.parse(Buffer.from(cursor, 'base64url').toString()) ?? {}) as typeof parsed;
  } catch {
    // refused below
  }
  const { l, f, p } = parsed;
  const filters = check(FailedJobFilters, f);
  if (l !== LIST || !filters.ok || typeof p !== 'string' || !/^[1-9]\d{0,18}$/.test(p))
    return { ok: false, message: 'cursor: not a cursor of this list; pass the `next` value of a previous page' };
  if (given.task !== undefined && given.task !== filters.value.task)
    return {
      ok: false,
      message: `cursor: it continues the list with ${filters.value.task === undefined ? 'no filters' : `task=${filters.value.task}`}, but this request asks for task=${given.task}; send the cursor alone, or start again without it`,
    };
  return { ok: true, filters: filters.value, beforeId: p };
}

export const RunningCrawlSchema = Type.Object({
  project: Uuid(),
  project_name: Type.String(),
  source: Uuid(),
  type: Type.Union([Type.Literal('website'), Type.Literal('files')]),
  name: Type.String(),
  url: Nullable(Type.String({ description: "a website's start URL; null for files" })),
  status: Type.Union([Type.Literal('queued'), Type.Literal('running')]),
  max_pages: Type.Integer(),
  started_at: Nullable(Timestamp("when the website's crawl started; null for files")),
  pages: Type.Object({
    done: Count('pages this crawl has fetched (documents processed, for files), failed and skipped included'),
    pending: Count('pages reached and not fetched yet (documents waiting to be indexed, for files)'),
    failed: Count("done, but failed: see the source's documents for the reasons"),
    skipped: Count('done, but skipped (robots.txt, not text, too large)'),
  }),
});
export const RunningCrawls = Type.Object({ results: Type.Array(RunningCrawlSchema) });

export const toRunningCrawl = (c: RunningCrawl): Static<typeof RunningCrawlSchema> => ({
  project: c.projectId,
  project_name: c.projectName,
  source: c.sourceId,
  type: c.type,
  name: c.name,
  url: c.url,
  status: c.status,
  max_pages: c.maxPages,
  started_at: c.startedAt && iso(c.startedAt),
  pages: { done: c.done, pending: c.pending, failed: c.failed, skipped: c.skipped },
});
