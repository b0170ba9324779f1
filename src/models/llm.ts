import { setTimeout as sleep } from 'node:timers/promises';

export type Message = { role: 'system' | 'user' | 'assistant'; content: string };

/** What one answer cost: stored with its question-answer. */
export type Usage = { model: string; promptTokens: number; completionTokens: number; latencyMs: number };

export type Completion = { text: string; usage: Usage };

/** Generates an answer from chat messages (MODEL_PROVIDER: the stand-in, or an OpenAI-compatible API). */
export interface LlmClient {
  complete(messages: Message[]): Promise<Completion>;
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

/** Stand-in: waits LLM_LATENCY_MS, then answers from a fixed list, chosen by the messages; no tokens counted. */
export class StaticLlm implements LlmClient {
  constructor(private readonly latencyMs: number) {}

  async complete(messages: Message[]): Promise<Completion> {
    const started = performance.now();
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    const prompt = messages.map((m) => m.content).join('\n');
    let h = 0;
    for (let i = 0; i < prompt.length; i += 7) h = (h * 31 + prompt.charCodeAt(i)) >>> 0;
    const latencyMs = Math.round(performance.now() - started);
    return { text: ANSWERS[h % ANSWERS.length]!, usage: { model: 'stand-in', promptTokens: 0, completionTokens: 0, latencyMs } };
  }
}
