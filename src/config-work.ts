import { Type } from '@sinclair/typebox';
import { RULE } from './schemas/validation.js';

// An integer setting's rule, default and meaning.
export const port = (fallback: number, description: string) =>
  Type.Integer({ minimum: 1, maximum: 65535, default: fallback, description });
export const ms = (min: number, max: number, fallback: number, description: string) =>
  Type.Integer({ minimum: min, maximum: max, default: fallback, description });

// The environment's entries for the work the service calls and runs: model providers, classification and
// the worker, webhooks, usage reports. Spread into ConfigSchema, in this order (the README's table follows it).
export const workSettings = {
  // Model providers
  MODEL_PROVIDER: Type.Union([Type.Literal('stand-in'), Type.Literal('openai')], {
    default: 'stand-in',
    description: '`stand-in`: no network; `openai`: any server that speaks the OpenAI chat-completions API',
  }),
  OPENAI_BASE_URL: Type.String({
    pattern: '^https?://',
    [RULE]: 'an http:// or https:// URL',
    default: 'https://api.openai.com/v1',
    description: "the provider's base URL up to and including `/v1` (Ollama: `http://localhost:11434/v1`)",
  }),
  OPENAI_API_KEY: Type.Optional(
    Type.String({ description: 'sent as a bearer token, never logged; empty for local servers' }),
  ),
  LLM_MODEL: Type.String({ minLength: 1, default: 'gpt-4o-mini', description: 'model of the answers' }),
  CLASSIFIER_MODEL: Type.String({ minLength: 1, default: 'gpt-4o-mini', description: 'model of the classification' }),
  MODEL_TIMEOUT_MS: ms(100, 600_000, 60_000, 'deadline of one provider call, and of each piece of a stream'),
  CLASSIFIER_BATCH_SIZE: Type.Integer({
    minimum: 1,
    maximum: 100,
    default: 1,
    description: 'first questions per provider call in backfill batches (`openai` only; new threads: one per call)',
  }),
  LLM_LATENCY_MS: ms(0, 600_000, 1000, 'latency of the stand-in language model'),
  CLASSIFIER_LATENCY_MS: ms(0, 600_000, 2000, 'latency of the stand-in classifier'),

  // Categorisation and the worker
  CATEGORISATION: Type.Union([Type.Literal('on'), Type.Literal('off')], {
    default: 'on',
    description: '`off`: the chat adds no classification jobs and workers classify nothing',
  }),
  CLASSIFIER_CONCURRENCY: Type.Integer({
    minimum: 1,
    maximum: 10_000,
    default: 1000,
    description: 'classifier calls in flight per worker process',
  }),
  WORKER_CONCURRENCY: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 200,
    description: "live-lane jobs (new threads' classifications, webhook deliveries) run at once per worker process",
  }),
  BACKGROUND_CONCURRENCY: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 20,
    description:
      'background-lane jobs (backfill batches, sweeps, reports, compaction, purges) run at once per worker process',
  }),
  // Released at most a window and a beat (a fifth) after the death: 54 s, within a minute.
  WORKER_DEAD_AFTER_SECONDS: Type.Integer({
    minimum: 2,
    maximum: 3600,
    default: 45,
    description: 'a worker whose heartbeat is older than this is dead: live workers release its jobs',
  }),
  CLASSIFY_BATCH_SIZE: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 500,
    description: 'threads per backfill job',
  }),
  BACKFILL_QUEUE_THREADS: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 1_000_000,
      description: 'threads held by backfill jobs at most; unset: 4 × `CLASSIFIER_CONCURRENCY`',
    }),
  ),
  CLASSIFICATION_TIMEOUT_SECONDS: Type.Integer({
    minimum: 1,
    maximum: 86_400,
    default: 300,
    description: 'an unlabelled thread whose job has not finished after this long is enqueued again',
  }),

  // Webhooks
  WEBHOOK_TIMEOUT_MS: ms(100, 60_000, 10_000, 'a webhook attempt not answered by then fails (and is retried)'),
  WEBHOOK_ALLOW_PRIVATE: Type.Boolean({
    default: false,
    description: 'let webhooks reach loopback, private and link-local addresses: development and tests only',
  }),

  // Knowledge sources
  CRAWL_CONCURRENCY: Type.Integer({
    minimum: 1,
    maximum: 32,
    default: 4,
    description: 'requests of one source in flight at once while it is crawled',
  }),
  CRAWL_TIMEOUT_MS: ms(100, 600_000, 15_000, 'a page not fetched whole by then fails with its reason'),
  SOURCES_ALLOW_PRIVATE: Type.Boolean({
    default: false,
    description: 'let the crawler reach loopback, private and link-local addresses: development and tests only',
  }),

  // Usage email reports
  SMTP_URL: Type.Optional(
    Type.String({
      pattern: '^smtps?://',
      [RULE]: 'an smtp:// or smtps:// URL',
      description:
        'e.g. `smtps://user:pass@host:465` (percent-encode the password); unset: `.eml` files in `OUTBOX_DIR`',
    }),
  ),
  MAIL_FROM: Type.String({
    pattern: '^([^<>]*<)?[^\\s@<>]+@[^\\s@<>]+>?$',
    [RULE]: 'an email address, or "Name <address>"',
    default: 'Docs chat reports <reports@localhost>',
    description: 'sender of the reports; its domain ends every Message-ID',
  }),
  OUTBOX_DIR: Type.String({ minLength: 1, default: 'outbox', description: 'folder of the `.eml` files' }),
};
