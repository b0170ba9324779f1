// Calls to an OpenAI-compatible provider: the client, a deadline per call (and per streamed piece), and the
// retries (429, 5xx and timeouts, with backoff and Retry-After) that the answerer and the classifier share.
import OpenAI from 'openai';
import { setTimeout as sleep } from 'node:timers/promises';

export type ProviderSettings = { baseURL: string; apiKey: string; timeoutMs: number };

/** The client, and MODEL_TIMEOUT_MS: what bounds a whole call, and for a stream the wait for each piece. */
export type Provider = { client: OpenAI; timeoutMs: number };

/** A reply that is not what was asked for (no text, not the schema, an unknown category): a failed call. */
export class InvalidReplyError extends Error {}

// At most 3 retries; a Retry-After longer than this ends them.
const MAX_RETRIES = 3;
const MAX_RETRY_AFTER_MS = 10_000;
const BASE_DELAY_MS = 250;

/** The official client against any base URL, with its own retries and timeout off (ours: see call below). */
export function provider(s: ProviderSettings): Provider {
  // A local server (Ollama, vLLM) needs no key; the client insists on a non-empty one.
  return {
    client: new OpenAI({ baseURL: s.baseURL, apiKey: s.apiKey || 'none', maxRetries: 0 }),
    timeoutMs: s.timeoutMs,
  };
}

/**
 * Aborts its signal once `ms` pass without a `reset()`, or when `outer` aborts. The client's own timeout
 * ends when the headers arrive, so it bounds neither a slow body nor the pieces of a stream.
 */
export class Watchdog {
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
export async function timed<T>(ms: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
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
  // The client's Headers type is the fetch API's, which this project's type libraries leave untyped.
  const headers =
    err instanceof OpenAI.APIError ? (err.headers as { get(name: string): string | null } | undefined) : null;
  const value = headers?.get('retry-after');
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
 * One provider call with our retries: 429, 5xx and timeouts again after exponential backoff with full
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
