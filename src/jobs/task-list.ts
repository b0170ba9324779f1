import type { TaskList } from 'graphile-worker';
import {
  BATCH_TASK,
  CLASSIFY_TASK,
  COMPACT_COUNTS_TASK,
  DELIVER_TASK,
  CRAWL_TASK,
  CRAWL_LANE_TASK,
  FAN_OUT_TASK,
  FINISH_CRAWL_TASK,
  INDEX_PAGE_TASK,
  PURGE_PROJECT_TASK,
  PURGE_SOURCE_TASK,
  REFRESH_DUE_TASK,
  SEARCH_STATS_TASK,
  SEND_REPORT_TASK,
  SWEEP_TASK,
} from './specs.js';
import type { TaskDeps } from './task.js';
import { classifyBatch } from '../../tasks/classification__batch.js';
import { sweep } from '../../tasks/classification__sweep.js';
import { labeller } from '../labelling/labeller.js';
import { purgeProject } from '../../tasks/projects__purge.js';
import { compactCounts } from '../../tasks/thread_counts__compact.js';
import { deliverWebhook } from '../../tasks/webhooks__deliver.js';
import { fanOutReports } from '../../tasks/reports__fan_out.js';
import { sendReport } from '../../tasks/reports__send.js';
import { classifyThreads } from '../../tasks/threads__classify.js';
import { crawlSource } from '../../tasks/sources__crawl.js';
import { crawlLane } from '../../tasks/sources__crawl_lane.js';
import { finishCrawl } from '../../tasks/sources__finish.js';
import { indexPage } from '../../tasks/sources__index_page.js';
import { purgeSource } from '../../tasks/sources__purge.js';
import { refreshDue } from '../../tasks/sources__refresh_due.js';
import { searchStats } from '../../tasks/sources__stats.js';

/**
 * Every graphile-worker task, by identifier (resource__action), in two lanes that run in separate job
 * pools of a worker: `live` (a new thread's classification and webhook deliveries, never waiting for a
 * slot a backfill batch holds) and `background` (backfill batches, the sweep, reports, the time series' compaction,
 * deleted projects' purges, crawls and indexing). With categorisation off, a worker takes no classification job: they wait in the queue.
 */
export function createTaskLists(deps: TaskDeps): { live: TaskList; background: TaskList } {
  const always: TaskList = {
    [FAN_OUT_TASK]: fanOutReports(deps),
    [SEND_REPORT_TASK]: sendReport(deps),
    [COMPACT_COUNTS_TASK]: compactCounts(deps),
    [PURGE_PROJECT_TASK]: purgeProject(deps),
    // Knowledge sources: crawls, page indexing, word statistics, deleted sources' purges.
    [CRAWL_TASK]: crawlSource(deps),
    [CRAWL_LANE_TASK]: crawlLane(deps),
    [INDEX_PAGE_TASK]: indexPage(deps),
    [FINISH_CRAWL_TASK]: finishCrawl(deps),
    [REFRESH_DUE_TASK]: refreshDue(deps),
    [SEARCH_STATS_TASK]: searchStats(deps),
    [PURGE_SOURCE_TASK]: purgeSource(deps),
  };
  // Webhook deliveries in the live lane: an event is sent the moment it happens, whatever a backfill holds.
  const deliveries: TaskList = { [DELIVER_TASK]: deliverWebhook(deps) };
  if (deps.config.CATEGORISATION === 'off') return { live: deliveries, background: always };
  const label = labeller(deps);
  return {
    live: { [CLASSIFY_TASK]: classifyThreads(deps, label), ...deliveries },
    background: { [BATCH_TASK]: classifyBatch(deps, label), [SWEEP_TASK]: sweep(deps), ...always },
  };
}

/** Both lanes' tasks in one list (tests and one-off runs). */
export function createTaskList(deps: TaskDeps): TaskList {
  const { live, background } = createTaskLists(deps);
  return { ...live, ...background };
}
