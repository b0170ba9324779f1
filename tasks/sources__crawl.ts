import type { Task } from 'graphile-worker';
import { Type } from '@sinclair/typebox';
import { Uuid } from '../src/schemas/common.js';
import type { TaskDeps } from '../src/jobs/task.js';
import { task } from '../src/jobs/task.js';
import { startCrawlJob } from '../src/sources/crawl.js';

const Payload = Type.Object({ source_id: Uuid(), crawl_id: Uuid() });

/**
 * The start of a website source's crawl: its robots.txt and sitemaps read, the start URL and the listed pages
 * reached (each gets its index job). Run again after a crash, it reaches nothing twice.
 */
export function crawlSource({ db, config, fetcher, log }: Pick<TaskDeps, 'db' | 'config' | 'fetcher' | 'log'>): Task {
  return task(Payload, log, (p, job) =>
    startCrawlJob({ db, config, fetcher }, { sourceId: p.source_id, crawlId: p.crawl_id }, job.log),
  );
}
