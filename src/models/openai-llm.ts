import OpenAI from 'openai';
import type { AnswerStream, Completion, LlmClient, Prompt, Usage } from './llm.js';
import { ModelUnavailableError } from '../errors.js';
import { InvalidReplyError, timed, Watchdog, withRetries, type Provider } from './provider.js';

/** Answers through an OpenAI-compatible chat-completions API. */
export class OpenAiLlm implements LlmClient {
  constructor(
    private readonly provider: Provider,
    private readonly model: string,
  ) {}

  async complete({ messages }: Prompt): Promise<Completion> {
    const started = performance.now();
    const { client, timeoutMs } = this.provider;
    try {
      const res = await withRetries(() =>
        timed(timeoutMs, (signal) => client.chat.completions.create({ model: this.model, messages }, { signal })),
      );
      const text = res.choices?.[0]?.message?.content;
      if (typeof text !== 'string' || text.length === 0) throw new InvalidReplyError('the model returned no answer');
      return { text, usage: usage(res, this.model, started) };
    } catch (err) {
      throw unavailable(err);
    }
  }

  /**
   * The answer as the provider streams it, with its usage (`stream_options.include_usage`). Retried
   * until the first piece arrives, never after: a client has seen the pieces before. Each piece must
   * come within MODEL_TIMEOUT_MS; a stream given up, or abandoned by its reader, is aborted.
   */
  async stream({ messages }: Prompt, signal: AbortSignal): Promise<AnswerStream> {
    const started = performance.now();
    const { client, timeoutMs } = this.provider;
    // The model that answered and the usage, as the chunks tell them (usage comes in the last).
    const seen: { model?: string; usage?: OpenAI.CompletionUsage | null } = {};
    // The next piece of text, or null at the end of the answer.
    const next = async (
      chunks: AsyncIterator<OpenAI.ChatCompletionChunk>,
      watchdog: Watchdog,
    ): Promise<string | null> => {
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
        for (let text; (text = await next(chunks, watchdog)) !== null;) yield text;
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

const usage = (
  res: { model?: string; usage?: OpenAI.CompletionUsage | null },
  model: string,
  started: number,
): Usage => ({
  model: res.model || model,
  promptTokens: res.usage?.prompt_tokens ?? 0,
  completionTokens: res.usage?.completion_tokens ?? 0,
  latencyMs: Math.round(performance.now() - started),
});

const unavailable = (err: unknown) => new ModelUnavailableError(`model call failed: ${describe(err)}`, { cause: err });

/** The error without anything the provider echoed of the request (the key never leaves this process). */
function describe(err: unknown): string {
  if (err instanceof OpenAI.APIError) return err.status ? `HTTP ${err.status}` : err.constructor.name;
  return err instanceof Error ? err.message : String(err);
}
