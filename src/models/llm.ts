import { setTimeout as sleep } from 'node:timers/promises';

/** Generates an answer from a prompt. The production one calls a hosted model. */
export interface LlmClient {
  complete(prompt: string): Promise<string>;
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

/** Stand-in: waits LLM_LATENCY_MS, then answers from a fixed list, chosen by the prompt. */
export class StaticLlm implements LlmClient {
  constructor(private readonly latencyMs: number) {}

  async complete(prompt: string): Promise<string> {
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    let h = 0;
    for (let i = 0; i < prompt.length; i += 7) h = (h * 31 + prompt.charCodeAt(i)) >>> 0;
    return ANSWERS[h % ANSWERS.length]!;
  }
}
