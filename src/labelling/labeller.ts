import {
  addLabelCounts,
  categoryChoices,
  loadRelabelThreads,
  loadUnlabelledThreads,
  parkThreads,
  saveClassifierLabels,
} from '../db/queries/classification.js';
import { chunks, classifierCalls } from './chunks.js';
import {
  classificationLag,
  classifierDuration,
  classifierFailures,
  threadsLabelled,
} from '../observability/metrics.js';
import type { CategoryChoice, Lane } from '../models/classifier.js';
import type { TaskDeps } from '../jobs/task.js';
import { errorFields } from '../observability/logger.js';

/**
 * Labels threads of one project from their first question, against the project's categories as they are
 * now: what threads__classify (live) and classification__batch (backfill, relabel runs) share. Labels are written in one
 * conditional statement (a user's label always wins); if any classifier call failed it throws, so the job
 * is retried with backoff and the retry only sees the threads still unlabelled.
 */
export function labeller({ db, classifier, config, log }: TaskDeps) {
  const countLabels = labelCounter(db, log);
  return async (p: {
    projectId: string;
    threadIds: string[];
    lane: Lane;
    relabelRunId?: string | null;
  }): Promise<void> => {
    const { projectId, lane, relabelRunId } = p;
    const threads = relabelRunId
      ? await loadRelabelThreads(db, { projectId, threadIds: p.threadIds, relabelRunId })
      : await loadUnlabelledThreads(db, { projectId, threadIds: p.threadIds });
    if (threads.length === 0) return;
    const categories = await categoryChoices(db, { projectId });
    if (categories.length === 0) {
      if (relabelRunId) return; // nothing to choose from: the threads keep their labels
      // No storm of failing jobs: the threads wait until the project has a category again.
      await parkThreads(db, { projectId, threadIds: threads.map((t) => t.id) });
      return;
    }
    const call = async <T>(fn: () => Promise<T>) => {
      const stop = classifierDuration.startTimer({ lane });
      try {
        return await fn();
      } catch (err) {
        classifierFailures.inc({ lane });
        throw err;
      } finally {
        stop();
      }
    };
    const { size, call: classifyChunk } = classifierCalls(classifier, lane, config.CLASSIFIER_BATCH_SIZE);
    const results = (
      await Promise.all(
        chunks(threads, size).map(async (chunk) => {
          // A call that fails fails each of its questions; otherwise each question has its own outcome.
          const outcomes = await call(() =>
            classifyChunk(
              chunk.map((t) => t.firstQuestion),
              categories,
            ),
          ).catch((err: unknown) => chunk.map(() => (err instanceof Error ? err : new Error(String(err)))));
          return outcomes.map((o): PromiseSettledResult<CategoryChoice> =>
            o instanceof Error ? { status: 'rejected', reason: o } : { status: 'fulfilled', value: o },
          );
        }),
      )
    ).flat();
    const labels = threads.flatMap((t, i) => {
      const r = results[i];
      return r.status === 'fulfilled' ? [{ threadId: t.id, categoryId: r.value.id }] : [];
    });
    const lags = await saveClassifierLabels(db, { projectId, labels, relabelRunId });
    threadsLabelled.inc({ lane }, lags.length);
    countLabels(projectId, lags.length);
    for (const seconds of lags) classificationLag.observe({ lane }, seconds);

    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failures.length > 0) {
      throw new Error(`${failures.length} of ${threads.length} classifications failed: ${String(failures[0].reason)}`);
    }
  };
}

/**
 * Counts labels per project in memory and adds them to classification_minutes about once a second: one
 * row per project and minute updated by every batch would serialise the batches on its lock.
 */
function labelCounter(db: TaskDeps['db'], log: TaskDeps['log']) {
  let pending = new Map<string, number>();
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    const counts = pending;
    pending = new Map();
    timer = null;
    addLabelCounts(db, counts).catch((err) => log.warn(errorFields(err), 'could not record the classification rate'));
  };
  return (projectId: string, n: number) => {
    if (n === 0) return;
    pending.set(projectId, (pending.get(projectId) ?? 0) + n);
    timer ??= setTimeout(flush, 1000).unref();
  };
}
