import type { CategoryChoice, Classifier, Lane } from '../models/classifier.js';

/** `items` in consecutive slices of `size` (the last one shorter). */
export const chunks = <T>(items: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/**
 * How a lane calls the classifier: backfill batches (and relabel runs, and their preview) send `batchSize`
 * questions (CLASSIFIER_BATCH_SIZE) per call when the classifier can; new threads one. A call gives one
 * outcome per question, in order: a category, or the error that question's label failed with.
 */
export function classifierCalls(
  classifier: Classifier,
  lane: Lane,
  batchSize: number,
): { size: number; call: (questions: string[], categories: CategoryChoice[]) => Promise<(CategoryChoice | Error)[]> } {
  const many = lane === 'backfill' && batchSize > 1 ? classifier.classifyMany?.bind(classifier) : undefined;
  if (many) return { size: batchSize, call: (questions, categories) => many(questions, categories, lane) };
  return {
    size: 1,
    call: async (questions, categories) => [await classifier.classify(questions[0], categories, lane)],
  };
}
