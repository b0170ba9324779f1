import { Type, type Static } from '@sinclair/typebox';
import { RULE } from './schemas/validation.js';

const port = (fallback: number, description: string) =>
  Type.Integer({ minimum: 1, maximum: 65535, default: fallback, description });
const ms = (min: number, max: number, fallback: number, description: string) =>
  Type.Integer({ minimum: min, maximum: max, default: fallback, description });

// The environment, one entry per variable: its rule, its default and what it does, grouped by topic. The
// README's configuration table is generated from this schema (`npm run docs:config`): a description is
// written for the operator who reads that table.
export const ConfigSchema = Type.Object({
  // The process
  PORT: port(8002, 'HTTP port of the API'),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'bind address (`0.0.0.0` in containers)' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info', description: 'readable lines on a terminal, JSON lines otherwise' },
  ),
  METRICS_PORT: Type.Integer({
    minimum: 0,
    maximum: 65535,
    default: 9464,
    description: 'port of `/metrics` of a worker run alone (`start:worker`); 0: none',
  }),
  ADMIN_TOKEN: Type.Optional(
    Type.String({ minLength: 16, description: 'bearer token of the admin API; unset: `/admin/v1` answers 403' }),
  ),
  SHUTDOWN_TIMEOUT_MS: ms(
    0,
    8000,
    7000,
    'on SIGTERM/SIGINT, how long requests in flight and running jobs get to finish (the process exits within 10 s)',
  ),

  // The database
  DATABASE_URL: Type.Optional(
    Type.String({
      pattern: '^postgres(ql)?://',
      [RULE]: 'a postgres:// or postgresql:// URL',
      description:
        'PostgreSQL URL. Unset: `npm start`, `npm test` and the CLI use the embedded server; `start:api` and `start:worker` require it',
    }),
  ),
  DATABASE_POOL_SIZE: Type.Integer({
    minimum: 1,
    maximum: 500,
    default: 10,
    description: "connections of a process's pool",
  }),
  DATABASE_STATEMENT_TIMEOUT_MS: ms(100, 600_000, 5000, 'deadline of every statement made for a request (503 past it)'),
  EMBEDDED_PG_DIR: Type.String({
    minLength: 1,
    default: '.data/postgres',
    description: 'data folder of the embedded PostgreSQL',
  }),
  EMBEDDED_PG_PORT: port(5433, 'port of the embedded PostgreSQL (another checkout needs another port)'),

  // Protecting the API
  RATE_LIMIT_PER_MINUTE: Type.Integer({
    minimum: 1,
    maximum: 10_000_000,
    default: 1200,
    description: 'requests a minute per API key over the project routes, per API process',
  }),
  AUTH_FAILURES_PER_MINUTE: Type.Integer({
    minimum: 1,
    maximum: 1_000_000,
    default: 30,
    description: 'failed authentications a minute per client address',
  }),
  TRUST_PROXY: Type.Union(
    [
      Type.Literal('false'),
      Type.Literal('true'),
      Type.String({
        pattern: '^[0-9]+$|^[0-9a-fA-F.:/, ]+$',
        [RULE]: 'a number of hops, or addresses and CIDRs separated by commas',
      }),
    ],
    {
      default: 'false',
      description: "behind a load balancer: the client's address from `X-Forwarded-For` through these proxies",
    },
  ),
  OVERLOAD_EVENT_LOOP_DELAY_MS: ms(
    0,
    60_000,
    1000,
    'event-loop delay beyond which the API sheds requests (503); 0 turns this check off (heap use still sheds)',
  ),
  OVERLOAD_HEAP_USED_MB: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 1_000_000,
      description: 'heap in use beyond which the API sheds requests (503); unset: 90% of the heap limit',
    }),
  ),

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
});

export type Config = Static<typeof ConfigSchema>;
