import OpenAI from 'openai';
import type { CategoryChoice, Classifier } from './classifier.js';
import type { AnswerStream, Completion, LlmClient, Message, Usage } from './llm.js';
import { InvalidReplyError, ModelUnavailableError, timed, Watchdog, withRetries, type Provider } from './provider.js';

export {
  InvalidReplyError,
  ModelUnavailableError,
  provider,
  type Provider,
  type ProviderSettings,
} from './provider.js';

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
  async stream(messages: Message[], signal: AbortSignal): Promise<AnswerStream> {
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
    const label = {
      type: 'object',
      properties: { n: { type: 'integer' }, category_id: categoryId },
      required: ['n', 'category_id'],
      additionalProperties: false,
    };
    const reply = await this.ask(
      CLASSIFY_MANY_INSTRUCTIONS,
      categories,
      questions.map((q, i) => `${i + 1}. ${q}`).join('\n'),
      'labels',
      {
        type: 'object',
        properties: { labels: { type: 'array', items: label, minItems: questions.length, maxItems: questions.length } },
        required: ['labels'],
        additionalProperties: false,
      },
    );
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

  private async ask(
    instructions: string,
    categories: CategoryChoice[],
    user: string,
    name: string,
    schema: Record<string, unknown>,
  ): Promise<unknown> {
    const { client, timeoutMs } = this.provider;
    const res = await withRetries(() =>
      timed(timeoutMs, (signal) =>
        client.chat.completions.create(
          {
            model: this.model,
            messages: [
              {
                role: 'system',
                content: `${instructions}\n\n${categories.map((c) => `- ${c.id}: ${c.name}: ${c.description}`).join('\n')}`,
              },
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
  if (!chosen)
    throw new InvalidReplyError(
      `the classifier named no category of the project (${JSON.stringify(id ?? null).slice(0, 80)})`,
    );
  return chosen;
}

/** The error without anything the provider echoed of the request (the key never leaves this process). */
function describe(err: unknown): string {
  if (err instanceof OpenAI.APIError) return err.status ? `HTTP ${err.status}` : err.constructor.name;
  return err instanceof Error ? err.message : String(err);
}
