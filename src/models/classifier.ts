import { setTimeout as sleep } from 'node:timers/promises';
import PQueue from 'p-queue';

export type CategoryChoice = {
  id: string;
  name: string;
  description: string;
};

export type Lane = 'live' | 'backfill';

/** Picks the category of a question. The production one calls a hosted model (about 2 s, I/O-bound). */
export interface Classifier {
  classify(question: string, categories: CategoryChoice[], lane?: Lane): Promise<CategoryChoice>;
  /**
   * Several questions in one call (backfill batches, CLASSIFIER_BATCH_SIZE): one outcome per question, in
   * order, each a category or the error that question's label failed with.
   */
  classifyMany?(questions: string[], categories: CategoryChoice[], lane?: Lane): Promise<(CategoryChoice | Error)[]>;
}

export class EmptyCategoriesError extends Error {
  constructor() {
    super('cannot classify against an empty list of categories');
  }
}

const STOP_WORDS = new Set(
  'the and for you your can are what how when where why who with this that does from have about into our out not'.split(
    ' ',
  ),
);
const words = (s: string) => (s.toLowerCase().match(/[a-z0-9]{3,}/g) ?? []).filter((w) => !STOP_WORDS.has(w));
const hash = (s: string) => {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
};

/**
 * Stand-in: waits CLASSIFIER_LATENCY_MS, then picks the category whose name and description share the most
 * words with the question (common words aside); ties go to a hash of the question. Deterministic for a
 * question and a list of categories.
 */
export class StaticClassifier implements Classifier {
  constructor(private readonly latencyMs: number) {}

  async classify(question: string, categories: CategoryChoice[]): Promise<CategoryChoice> {
    if (categories.length === 0) throw new EmptyCategoriesError();
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    const q = new Set(words(question));
    const shared = (text: string) => new Set(words(text).filter((w) => q.has(w))).size;
    // A word of the name counts twice as much as a word of the description.
    const scored = categories.map((c) => ({ c, score: 2 * shared(c.name) + shared(c.description) }));
    const best = Math.max(...scored.map((s) => s.score));
    const top = scored.filter((s) => s.score === best).sort((a, b) => a.c.id.localeCompare(b.c.id));
    return top[hash(question) % top.length].c;
  }
}

/**
 * At most `limit` classifier calls in flight in this process (the model provider's budget). Backfill calls
 * never take the last twentieth of it (at least one slot): a backfill batch starts its calls together and
 * they end together, so without a reserve a new thread's call would wait for the next batch to end (up to a
 * classifier latency). Live calls may use every slot, and when calls wait, live ones go first (p-queue's
 * priorities).
 */
export class LimitedClassifier implements Classifier {
  private readonly queue: PQueue;
  private readonly backfill: PQueue;

  constructor(
    private readonly inner: Classifier,
    readonly limit: number,
  ) {
    this.queue = new PQueue({ concurrency: limit });
    this.backfill = new PQueue({ concurrency: Math.max(1, limit - Math.ceil(limit / 20)) });
    const many = inner.classifyMany?.bind(inner);
    if (many)
      this.classifyMany = (questions, categories, lane = 'backfill') =>
        this.limited(lane, () => many(questions, categories, lane));
  }

  get inFlight() {
    return this.queue.pending;
  }

  async classify(question: string, categories: CategoryChoice[], lane: Lane = 'live'): Promise<CategoryChoice> {
    return this.limited(lane, () => this.inner.classify(question, categories, lane));
  }

  /** One call for several questions: it takes one slot, as it is one call to the provider. */
  readonly classifyMany?: Classifier['classifyMany'];

  private limited<T>(lane: Lane, fn: () => Promise<T>): Promise<T> {
    const call = () => this.queue.add<T>(fn, { priority: lane === 'live' ? 1 : 0 });
    return lane === 'live' ? call() : this.backfill.add<T>(call);
  }
}
