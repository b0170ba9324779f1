import type { Task } from 'graphile-worker';
import { Type } from '@sinclair/typebox';
import { Uuid } from '../src/schemas/common.js';
import type { TaskDeps } from '../src/jobs/task.js';
import { task } from '../src/jobs/task.js';
import { crawlLaneJob } from '../src/sources/crawl.js';

const Payload = Type.Object({ source_id: Uuid(), crawl_id: Uuid() });

/**
 * One lane of a website's crawl: pending pages fetched (conditionally), extracted and chunked, their links
 * reached, one after another. An unchanged page costs no indexing.
 */
export function crawlLane({ db, config, fetcher, log }: Pick<TaskDeps, 'db' | 'config' | 'fetcher' | 'log'>): Task {
  return task(Payload, log, (p, job) =>
    crawlLaneJob(
      { db, config, fetcher },
      { sourceId: p.source_id, crawlId: p.crawl_id, jobId: job.helpers.job.id },
      job.log,
      job.helpers.abortSignal,
    ),
  );
}
