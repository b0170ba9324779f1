import { setTimeout as sleep } from 'node:timers/promises';

export type Message = { role: 'system' | 'user' | 'assistant'; content: string };

/** What one answer cost: stored with its question-answer. */
export type Usage = { model: string; promptTokens: number; completionTokens: number; latencyMs: number };

export type Completion = { text: string; usage: Usage };

/**
 * A streamed answer: its pieces of text as the model produces them, then what the call cost. It exists once
 * the first piece has arrived, so a model that fails before that fails the call, not the stream.
 */
export type AnswerStream = AsyncGenerator<string, Usage>;

/** Generates an answer from chat messages (MODEL_PROVIDER: the stand-in, or an OpenAI-compatible API). */
export interface LlmClient {
  complete(messages: Message[]): Promise<Completion>;
  /** The answer in pieces; `signal` aborts the call (the client went away). */
  stream(messages: Message[], signal: AbortSignal): Promise<AnswerStream>;
}

const ANSWERS = [
  'You can configure this in `acme.config.json`; environment variables override the file, which is handy in CI.',
  'Make sure you run Node.js 20 or newer, then reinstall the CLI with `npm install -g acme-cli`.',
  'This usually means the process ran out of memory: raise the heap limit with `NODE_OPTIONS=--max-old-space-size=4096`.',
  'Create a token under Settings > API tokens and send it as a bearer token; revoke it there when it is no longer needed.',
  'The API allows 600 requests per minute per token; on a 429, wait for the number of seconds in Retry-After.',
  'Run `acme backup --out backup.tar` before upgrading, then install the new version and run `acme migrate`.',
  'Pass the `next` cursor of one page to fetch the next; an empty `next` means you have reached the end.',
  'Check for a stale `.acme/lock` file and run the command with `--verbose` to see where it stops.',
];

// The stand-in streams its answer in this many pieces.
const STREAM_PIECES = 4;

/** Stand-in: waits LLM_LATENCY_MS, then answers from a fixed list, chosen by the messages; no tokens counted. */
export class StaticLlm implements LlmClient {
  constructor(private readonly latencyMs: number) {}

  async complete(messages: Message[]): Promise<Completion> {
    const started = performance.now();
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    return { text: answerFor(messages), usage: standInUsage(started) };
  }

  /** The same answer in a few pieces, the first after LLM_LATENCY_MS. */
  async stream(messages: Message[], signal: AbortSignal): Promise<AnswerStream> {
    const started = performance.now();
    if (this.latencyMs > 0) await sleep(this.latencyMs, undefined, { signal });
    const words = answerFor(messages).split(/(?<= )/);
    const size = Math.ceil(words.length / STREAM_PIECES);
    return (async function* () {
      for (let i = 0; i < words.length; i += size) {
        signal.throwIfAborted();
        yield words.slice(i, i + size).join('');
        // Each piece in its own turn of the event loop, as a model's arrive.
        await sleep(0);
      }
      return standInUsage(started);
    })();
  }
}

function answerFor(messages: Message[]): string {
  const prompt = messages.map((m) => m.content).join('\n');
  let h = 0;
  for (let i = 0; i < prompt.length; i += 7) h = (h * 31 + prompt.charCodeAt(i)) >>> 0;
  return ANSWERS[h % ANSWERS.length];
}

const standInUsage = (started: number): Usage => ({
  model: 'stand-in',
  promptTokens: 0,
  completionTokens: 0,
  latencyMs: Math.round(performance.now() - started),
});
