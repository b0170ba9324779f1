import type { CategoryChoice, Classifier } from './classifier.js';
import { InvalidReplyError, timed, withRetries, type Provider } from './provider.js';

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
