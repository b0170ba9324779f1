import client from 'prom-client';
import type { Db } from '../db/client.js';
import { backlogByProject, backlogSummary, classificationRates } from '../db/queries/progress.js';

/** One registry per process: /metrics on the API, and the worker's own port when it runs alone. */
export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry });

const registers = [registry];

export const httpDuration = new client.Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP request latency by route and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers,
});

export const classifierDuration = new client.Histogram({
  name: 'classifier_call_duration_seconds',
  help: 'Latency of classifier calls (live: new threads; backfill: the sweep)',
  labelNames: ['lane'] as const,
  buckets: [0.01, 0.1, 0.5, 1, 1.5, 2, 2.5, 3, 4, 6, 10, 30],
  registers,
});

export const classifierFailures = new client.Counter({
  name: 'classifier_failures_total',
  help: 'Classifier calls that failed (retried with backoff)',
  labelNames: ['lane'] as const,
  registers,
});

export const threadsLabelled = new client.Counter({
  name: 'threads_labelled_total',
  help: 'Threads labelled by the classifier',
  labelNames: ['lane'] as const,
  registers,
});

export const classificationLag = new client.Histogram({
  name: 'classification_lag_seconds',
  help: 'From thread creation to its stored label (backfill: threads created before they could be labelled)',
  labelNames: ['lane'] as const,
  buckets: [0.5, 1, 2, 2.5, 3, 4, 5, 10, 30, 60, 300, 3600, 86_400],
  registers,
});

export const jobsProcessed = new client.Counter({
  name: 'jobs_processed_total',
  help: 'graphile-worker jobs run by this process, by task and outcome',
  labelNames: ['task', 'outcome'] as const,
  registers,
});

const CACHE_MS = 10_000;
let backlogDb: Db | null = null;
let refreshedAt = 0;
let refreshing: Promise<void> | null = null;

/** Backlog gauges are read from the database at scrape time (at most every 10 s): true across processes. */
export function observeBacklog(db: Db): void {
  backlogDb = db;
}

async function refreshBacklog(): Promise<void> {
  if (!backlogDb || Date.now() - refreshedAt < CACHE_MS) return;
  const db = backlogDb;
  refreshing ??= (async () => {
    const [summary, projects, rates] = await Promise.all([
      backlogSummary(db),
      backlogByProject(db),
      classificationRates(db),
    ]);
    backlog.set({ state: 'waiting' }, summary.waiting);
    backlog.set({ state: 'parked' }, summary.parked);
    oldest.set(summary.oldestSeconds ?? 0);
    projectBacklog.reset();
    for (const p of projects) projectBacklog.set({ project: p.projectId }, p.unlabelled);
    rate.set(rates.total);
    refreshedAt = Date.now();
  })()
    // A scrape while the database is away keeps the last values rather than failing the whole page.
    .catch(() => {})
    .finally(() => (refreshing = null));
  await refreshing;
}

const backlog = new client.Gauge({
  name: 'classification_backlog_threads',
  help: 'Unlabelled threads: waiting (due or in a job) and parked (project without categories)',
  labelNames: ['state'] as const,
  registers,
  collect: refreshBacklog,
});
const oldest = new client.Gauge({
  name: 'classification_backlog_oldest_seconds',
  help: 'Age of the oldest unlabelled, not parked thread',
  registers,
});
const projectBacklog = new client.Gauge({
  name: 'classification_backlog_project_threads',
  help: 'Unlabelled threads per project (projects with a backlog only)',
  labelNames: ['project'] as const,
  registers,
});
const rate = new client.Gauge({
  name: 'classification_rate_per_second',
  help: 'Threads labelled by the classifier per second over the last one to two minutes, all workers',
  registers,
});
