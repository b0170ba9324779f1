import OpenAI from 'openai';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CategoryChoice, Classifier } from './classifier.js';
import type { AnswerStream, Completion, LlmClient, Message, Usage } from './llm.js';

export type ProviderSettings = { baseURL: string; apiKey: string; timeoutMs: number };

/** The client, and MODEL_TIMEOUT_MS: what bounds a whole call, and for a stream the wait for each piece. */
export type Provider = { client: OpenAI; timeoutMs: number };

/** The provider failed after its retries (or cannot be retried): the chat answers 503 "model unavailable". */
export class ModelUnavailableError extends Error {}

/** A reply that is not what was asked for (no text, not the schema, an unknown category): a failed call. */
export class InvalidReplyError extends Error {}

// SPEC §9: at most 3 retries; a Retry-After longer than this ends them.
const MAX_RETRIES = 3;
const MAX_RETRY_AFTER_MS = 10_000;
const BASE_DELAY_MS = 250;

/** The official client against any base URL, with its own retries and timeout off (ours follow SPEC §9). */
export function provider(s: ProviderSettings): Provider {
  // A local server (Ollama, vLLM) needs no key; the client insists on a non-empty one.
  return { client: new OpenAI({ baseURL: s.baseURL, apiKey: s.apiKey || 'none', maxRetries: 0 }), timeoutMs: s.timeoutMs };
}

/**
 * Aborts its signal once `ms` pass without a `reset()`, or when `outer` aborts. The client's own timeout
 * ends when the headers arrive, so it bounds neither a slow body nor the pieces of a stream.
 */
class Watchdog {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private timedOut = false;
  readonly signal: AbortSignal;

  constructor(
    private readonly ms: number,
    outer?: AbortSignal,
  ) {
    this.signal = outer ? AbortSignal.any([outer, this.controller.signal]) : this.controller.signal;
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort();
    }, ms);
  }

  reset(): void {
    this.timer.refresh();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** What a failure under this watchdog is: a timeout (retried) if it fired, else `err` itself. */
  fault(err: unknown): unknown {
    return this.timedOut ? new OpenAI.APIConnectionTimeoutError({ message: `no reply within ${this.ms} ms` }) : err;
  }
}

/** One attempt of a call, aborted if it takes longer than `ms` in all. */
async function timed<T>(ms: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const watchdog = new Watchdog(ms);
  try {
    return await call(watchdog.signal);
  } catch (err) {
    throw watchdog.fault(err);
  } finally {
    watchdog.stop();
  }
}

/** Seconds or an HTTP date, as Retry-After carries them; null if absent or unreadable. */
function retryAfterMs(err: unknown): number | null {
  const value = err instanceof OpenAI.APIError ? err.headers?.get('retry-after') : null;
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

const retryable = (err: unknown) =>
  err instanceof OpenAI.APIConnectionError || // timeouts included
  (err instanceof OpenAI.APIError && (err.status === 429 || (err.status ?? 0) >= 500));

/**
 * One provider call with SPEC §9's retries: 429, 5xx and timeouts again after exponential backoff with full
 * jitter, or after Retry-After when the provider sends one (more than 10 s ends the retries), at most 3
 * retries. Written here rather than with the client's own retries (which wait up to 60 s of Retry-After and
 * have no such cut-off) or p-retry (whose delays cannot follow a header).
 */
export async function withRetries<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!retryable(err) || attempt >= MAX_RETRIES) throw err;
      const after = retryAfterMs(err);
      if (after !== null && after > MAX_RETRY_AFTER_MS) throw err;
      await sleep(after ?? Math.random() * BASE_DELAY_MS * 2 ** attempt);
    }
  }
}

/** Answers through an OpenAI-compatible chat-completions API. */
export class OpenAiLlm implements LlmClient {
  constructor(
    private readonly provider: Provider,
    private readonly model: string,
  ) {}

  async complete(messages: Message[]): Promise<Completion> {
    const started = performance.now();
    const { client, timeoutMs } = this.provider;
    try {
      const res = await withRetries(() => timed(timeoutMs, (signal) => client.chat.completions.create({ model: this.model, messages }, { signal })));
      const text = res.choices?.[0]?.message?.content;
      if (typeof text !== 'string' || text.length === 0) throw new InvalidReplyError('the model returned no answer');
      return { text, usage: usage(res, this.model, started) };
    } catch (err) {
      throw unavailable(err);
    }
  }

  /**
   * The answer as the provider streams it, with its usage (`stream_options.include_usage`). Retried (SPEC
   * §9) until the first piece arrives, never after: a client has seen the pieces before. Each piece must
   * come within MODEL_TIMEOUT_MS; a stream given up, or abandoned by its reader, is aborted.
   */
  async stream(messages: Message[], signal: AbortSignal): Promise<AnswerStream> {
    const started = performance.now();
    const { client, timeoutMs } = this.provider;
    // The model that answered and the usage, as the chunks tell them (usage comes in the last).
    const seen: { model?: string; usage?: OpenAI.CompletionUsage | null } = {};
    // The next piece of text, or null at the end of the answer.
    const next = async (chunks: AsyncIterator<OpenAI.ChatCompletionChunk>, watchdog: Watchdog): Promise<string | null> => {
      for (;;) {
        const chunk = await chunks.next();
        watchdog.reset();
        // The client's stream ends quietly when aborted: a cut-off answer is a failure, not the answer.
        if (watchdog.signal.aborted) throw new OpenAI.APIUserAbortError();
        if (chunk.done) return null;
        seen.model ||= chunk.value.model;
        seen.usage ??= chunk.value.usage;
        const text = chunk.value.choices?.[0]?.delta?.content;
        if (text) return text;
      }
    };
    const open = async () => {
      const watchdog = new Watchdog(timeoutMs, signal);
      try {
        const chunks = (
          await client.chat.completions.create(
            { model: this.model, messages, stream: true, stream_options: { include_usage: true } },
            { signal: watchdog.signal },
          )
        )[Symbol.asyncIterator]();
        const first = await next(chunks, watchdog);
        if (first === null) throw new InvalidReplyError('the model returned no answer');
        return { chunks, watchdog, first };
      } catch (err) {
        watchdog.stop();
        throw watchdog.fault(err);
      }
    };
    const { chunks, watchdog, first } = await withRetries(open).catch((err: unknown) => {
      throw unavailable(err);
    });
    const model = this.model;
    return (async function* () {
      try {
        yield first;
        for (let text; (text = await next(chunks, watchdog)) !== null; ) yield text;
        return usage(seen, model, started);
      } catch (err) {
        throw unavailable(watchdog.fault(err));
      } finally {
        watchdog.stop();
        await chunks.return?.();
      }
    })();
  }
}

const usage = (res: { model?: string; usage?: OpenAI.CompletionUsage | null }, model: string, started: number): Usage => ({
  model: res.model || model,
  promptTokens: res.usage?.prompt_tokens ?? 0,
  completionTokens: res.usage?.completion_tokens ?? 0,
  latencyMs: Math.round(performance.now() - started),
});

const unavailable = (err: unknown) => new ModelUnavailableError(`model call failed: ${describe(err)}`, { cause: err });

const CLASSIFY_INSTRUCTIONS =
  'Classify the first question of a user of a documentation chat bot into exactly one of the categories below. ' +
  'Reply with the id of the category that fits best.';
const CLASSIFY_MANY_INSTRUCTIONS =
  'Classify each numbered first question of a user of a documentation chat bot into exactly one of the ' +
  'categories below. Reply with one label per question: its number n and the id of the category that fits best.';

/**
 * Classifies through an OpenAI-compatible API with a structured output naming one of the project's category
 * ids. Every reply is validated, and in a batch every label on its own: one that is not a known id is a
 * failed call for that question (its job retries it), never a label.
 */
export class OpenAiClassifier implements Classifier {
  constructor(
    private readonly provider: Provider,
    private readonly model: string,
  ) {}

  async classify(question: string, categories: CategoryChoice[]): Promise<CategoryChoice> {
    const categoryId = { type: 'string', enum: categories.map((c) => c.id) };
    const reply = await this.ask(CLASSIFY_INSTRUCTIONS, categories, question, 'category', {
      type: 'object',
      properties: { category_id: categoryId },
      required: ['category_id'],
      additionalProperties: false,
    });
    return known(categories, (reply as { category_id?: unknown } | null)?.category_id);
  }

  async classifyMany(questions: string[], categories: CategoryChoice[]): Promise<(CategoryChoice | Error)[]> {
    const categoryId = { type: 'string', enum: categories.map((c) => c.id) };
    const label = { type: 'object', properties: { n: { type: 'integer' }, category_id: categoryId }, required: ['n', 'category_id'], additionalProperties: false };
    const reply = await this.ask(CLASSIFY_MANY_INSTRUCTIONS, categories, questions.map((q, i) => `${i + 1}. ${q}`).join('\n'), 'labels', {
      type: 'object',
      properties: { labels: { type: 'array', items: label, minItems: questions.length, maxItems: questions.length } },
      required: ['labels'],
      additionalProperties: false,
    });
    const labels = (reply as { labels?: unknown } | null)?.labels;
    if (!Array.isArray(labels)) throw new InvalidReplyError('the classifier replied without labels');
    return questions.map((_, i) => {
      const found = labels.find((l: { n?: unknown } | null) => l?.n === i + 1) as { category_id?: unknown } | undefined;
      try {
        return known(categories, found?.category_id);
      } catch (err) {
        return err as Error;
      }
    });
  }

  private async ask(instructions: string, categories: CategoryChoice[], user: string, name: string, schema: Record<string, unknown>): Promise<unknown> {
    const { client, timeoutMs } = this.provider;
    const res = await withRetries(() =>
      timed(timeoutMs, (signal) =>
        client.chat.completions.create(
          {
            model: this.model,
            messages: [
              { role: 'system', content: `${instructions}\n\n${categories.map((c) => `- ${c.id}: ${c.name}: ${c.description}`).join('\n')}` },
              { role: 'user', content: user },
            ],
            response_format: { type: 'json_schema', json_schema: { name, strict: true, schema } },
          },
          { signal },
        ),
      ),
    );
    try {
      return JSON.parse(res.choices?.[0]?.message?.content ?? '');
    } catch {
      throw new InvalidReplyError('the classifier did not reply with JSON');
    }
  }
}

/** The category a reply names, if it is one of the project's. */
function known(categories: CategoryChoice[], id: unknown): CategoryChoice {
  const chosen = categories.find((c) => c.id === id);
  if (!chosen) throw new InvalidReplyError(`the classifier named no category of the project (${JSON.stringify(id ?? null).slice(0, 80)})`);
  return chosen;
}

/** The error without anything the provider echoed of the request (the key never leaves this process). */
function describe(err: unknown): string {
  if (err instanceof OpenAI.APIError) return err.status ? `HTTP ${err.status}` : err.constructor.name;
  return err instanceof Error ? err.message : String(err);
}
