import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import { categoryChoices } from '../db/queries/classification.js';
import { relabelSample } from '../db/queries/relabel.js';
import { ModelUnavailableError } from '../errors.js';
import type { CategoryChoice, Classifier } from '../models/classifier.js';
import { chunks, classifierCalls } from './chunks.js';

type Label = { id: string; name: string };
export type RelabelChange = { threadId: string; firstQuestion: string; from: Label; to: Label };

export type RelabelPreview = {
  sampled: number;
  changes: RelabelChange[];
  /** A full run: the threads it would reclassify, its classifier calls, its expected duration. */
  estimate: { threads: number; providerCalls: number; seconds: number };
};

/** Classifier calls for `threads` threads: backfill batches of `batch` threads, each in calls of `size` questions. */
const callsFor = (threads: number, batch: number, size: number) =>
  Math.floor(threads / batch) * Math.ceil(batch / size) + Math.ceil((threads % batch) / size);

/**
 * What relabelling a project's history would change, on a random sample of its classifier-labelled threads;
 * changes nothing. The sample is classified as a run would classify it (the backfill's calls, batched the same
 * way) and each call is timed: a full run's duration is its calls at CLASSIFIER_CONCURRENCY in flight, each
 * taking the sample's mean. Null when the project has no categories to relabel into. A classification that
 * fails fails the preview (ModelUnavailableError): an estimate from part of the sample would mislead.
 */
export async function previewRelabel(
  deps: { db: Db; classifier: Classifier; config: Config },
  p: { projectId: string; sample: number },
): Promise<RelabelPreview | null> {
  const { db, classifier, config } = deps;
  const categories = await categoryChoices(db, { projectId: p.projectId });
  if (categories.length === 0) return null;
  const { labelled, sample } = await relabelSample(db, { projectId: p.projectId, n: p.sample });
  const { size, call } = classifierCalls(classifier, 'backfill', config.CLASSIFIER_BATCH_SIZE);
  const seconds: number[] = [];
  const outcomes = await Promise.all(
    chunks(sample, size).map(async (chunk) => {
      const started = performance.now();
      const results = await call(
        chunk.map((t) => t.firstQuestion),
        categories,
      );
      seconds.push((performance.now() - started) / 1000);
      return results.map((o): CategoryChoice => {
        if (o instanceof Error) throw o instanceof ModelUnavailableError ? o : new ModelUnavailableError(o.message);
        return o;
      });
    }),
  );
  const changes = outcomes.flat().flatMap((to, i): RelabelChange[] => {
    const t = sample[i];
    if (to.id === t.categoryId) return [];
    const from = { id: t.categoryId, name: t.categoryName };
    return [{ threadId: t.id, firstQuestion: t.firstQuestion, from, to: { id: to.id, name: to.name } }];
  });
  const providerCalls = callsFor(labelled, config.CLASSIFY_BATCH_SIZE, size);
  const meanCallSeconds = seconds.length ? seconds.reduce((a, b) => a + b, 0) / seconds.length : 0;
  return {
    sampled: sample.length,
    changes,
    estimate: {
      threads: labelled,
      providerCalls,
      seconds: Math.ceil((providerCalls * meanCallSeconds) / config.CLASSIFIER_CONCURRENCY),
    },
  };
}
