import type { Task } from 'graphile-worker';
import { Type } from '@sinclair/typebox';
import { Uuid } from '../src/schemas/common.js';
import type { TaskDeps } from '../src/jobs/task.js';
import { task } from '../src/jobs/task.js';
import { finishCrawlJob } from '../src/sources/crawl.js';

const Payload = Type.Object({ source_id: Uuid(), crawl_id: Uuid() });

/** The end of a crawl: pages it no longer reached leave the index, the source is ready and its refresh scheduled. */
export function finishCrawl({ db, config, fetcher, log }: Pick<TaskDeps, 'db' | 'config' | 'fetcher' | 'log'>): Task {
  return task(Payload, log, (p, job) =>
    finishCrawlJob({ db, config, fetcher }, { sourceId: p.source_id, crawlId: p.crawl_id }, job.log),
  );
}
