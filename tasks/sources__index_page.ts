import type { Task } from 'graphile-worker';
import { Type } from '@sinclair/typebox';
import { Uuid } from '../src/schemas/common.js';
import type { TaskDeps } from '../src/jobs/task.js';
import { task } from '../src/jobs/task.js';
import { indexPageJob } from '../src/sources/crawl.js';

// crawl_id is null for an uploaded file's document.
const Payload = Type.Object({ source_id: Uuid(), document_id: Uuid(), crawl_id: Type.Union([Uuid(), Type.Null()]) });

/**
 * An uploaded file's text indexed (an unchanged file costs no indexing); a crawled page's job, queued before
 * crawls ran in lanes, runs as a lane of its crawl.
 */
export function indexPage({ db, config, fetcher, log }: Pick<TaskDeps, 'db' | 'config' | 'fetcher' | 'log'>): Task {
  return task(Payload, log, (p, job) =>
    indexPageJob(
      { db, config, fetcher },
      { sourceId: p.source_id, documentId: p.document_id, crawlId: p.crawl_id, jobId: job.helpers.job.id },
      job.log,
      job.helpers.abortSignal,
    ),
  );
}
