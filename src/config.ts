import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { check, RULE } from './schemas/validation.js';

// One schema for the whole environment. Every entry point calls loadConfig() once.
export const ConfigSchema = Type.Object({
  DATABASE_URL: Type.Optional(
    Type.String({
      pattern: '^postgres(ql)?://',
      [RULE]: 'a postgres:// or postgresql:// URL',
      description: 'PostgreSQL URL; unset = embedded server (npm start, npm test)',
    }),
  ),
  PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 8002, description: 'HTTP port' }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'HTTP bind address (0.0.0.0 in containers)' }),
  METRICS_PORT: Type.Integer({
    minimum: 0,
    maximum: 65535,
    default: 9464,
    description: 'port of /metrics of a worker run alone (start:worker); 0 = none',
  }),
  ADMIN_TOKEN: Type.Optional(
    Type.String({ minLength: 16, description: 'Bearer token of the admin API; unset disables /admin/v1' }),
  ),
  MODEL_PROVIDER: Type.Union([Type.Literal('stand-in'), Type.Literal('openai')], {
    default: 'stand-in',
    description: 'stand-in (no network) or openai: any server that speaks the OpenAI chat-completions API',
  }),
  OPENAI_BASE_URL: Type.String({
    pattern: '^https?://',
    [RULE]: 'an http:// or https:// URL',
    default: 'https://api.openai.com/v1',
    description: 'base URL of the provider, up to and including /v1 (Ollama: http://localhost:11434/v1)',
  }),
  OPENAI_API_KEY: Type.Optional(
    Type.String({ description: 'sent as Authorization: Bearer; never logged; empty for local servers' }),
  ),
  LLM_MODEL: Type.String({
    minLength: 1,
    default: 'gpt-4o-mini',
    description: 'model of the answers (MODEL_PROVIDER=openai)',
  }),
  CLASSIFIER_MODEL: Type.String({
    minLength: 1,
    default: 'gpt-4o-mini',
    description: 'model of the classification (MODEL_PROVIDER=openai)',
  }),
  MODEL_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 600_000,
    default: 60_000,
    description: 'deadline of one provider call',
  }),
  LLM_LATENCY_MS: Type.Integer({ minimum: 0, maximum: 600_000, default: 1000, description: 'stand-in LLM latency' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info', description: 'pino log level' },
  ),
  DATABASE_POOL_SIZE: Type.Integer({
    minimum: 1,
    maximum: 500,
    default: 10,
    description: 'connections of the API pool',
  }),
  DATABASE_STATEMENT_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 600_000,
    default: 5000,
    description: 'deadline of every database statement made for an HTTP request (503 when it passes)',
  }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({
    minimum: 0,
    maximum: 8000,
    default: 7000,
    description:
      'on SIGTERM/SIGINT, how long requests in flight and running jobs get to finish (the process exits within 10 s)',
  }),
  RATE_LIMIT_PER_MINUTE: Type.Integer({
    minimum: 1,
    maximum: 10_000_000,
    default: 1200,
    description: 'requests a minute per API key over the project routes',
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
      description:
        "client addresses from X-Forwarded-For: false, true, a number of proxy hops, or the proxies' addresses/CIDRs",
    },
  ),
  OVERLOAD_EVENT_LOOP_DELAY_MS: Type.Integer({
    minimum: 10,
    maximum: 60_000,
    default: 1000,
    description: 'event-loop delay beyond which the API sheds requests with 503',
  }),
  OVERLOAD_HEAP_USED_MB: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 1_000_000,
      description: 'heap in use beyond which the API sheds requests with 503; default 90% of the heap limit',
    }),
  ),
  WORKER_CONCURRENCY: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 200,
    description:
      'live classification jobs run at once per worker process (each holds its slot for the classifier latency)',
  }),
  BACKGROUND_CONCURRENCY: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 20,
    description: 'backfill batches, sweeps and report jobs run at once per worker process',
  }),
  WORKER_DEAD_AFTER_SECONDS: Type.Integer({
    minimum: 2,
    maximum: 3600,
    // Released at most window + a beat (a fifth) after the death: 54 s, within the minute promised.
    default: 45,
    description:
      'a worker not heard from for this long is dead: live workers release its jobs (each beats every fifth of it)',
  }),
  CATEGORISATION: Type.Union([Type.Literal('on'), Type.Literal('off')], {
    default: 'on',
    description:
      'off: chat enqueues no classification and workers classify nothing (e.g. while the model provider is down)',
  }),
  CLASSIFIER_LATENCY_MS: Type.Integer({
    minimum: 0,
    maximum: 600_000,
    default: 2000,
    description: 'stand-in classifier latency',
  }),
  CLASSIFIER_CONCURRENCY: Type.Integer({
    minimum: 1,
    maximum: 10_000,
    default: 1000,
    description: 'classifier calls in flight per worker process',
  }),
  CLASSIFIER_BATCH_SIZE: Type.Integer({
    minimum: 1,
    maximum: 100,
    default: 1,
    description:
      'first questions per provider call in backfill batches (MODEL_PROVIDER=openai; 20 makes a backfill about 20 times cheaper)',
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
      description: 'threads queued or in flight in backfill jobs; default 4 x CLASSIFIER_CONCURRENCY',
    }),
  ),
  CLASSIFICATION_TIMEOUT_SECONDS: Type.Integer({
    minimum: 1,
    maximum: 86_400,
    default: 300,
    description: 'an unlabelled thread whose job has not finished after this long is enqueued again',
  }),
  WEBHOOK_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 60_000,
    default: 10_000,
    description: 'a webhook attempt with no answer by then counts as failed',
  }),
  WEBHOOK_ALLOW_PRIVATE: Type.Boolean({
    default: false,
    description: 'let webhooks reach loopback, private and link-local addresses (development and tests only)',
  }),
  EMBEDDED_PG_DIR: Type.String({
    minLength: 1,
    default: '.data/postgres',
    description: 'data folder of the embedded PostgreSQL',
  }),
  EMBEDDED_PG_PORT: Type.Integer({
    minimum: 1,
    maximum: 65535,
    default: 5433,
    description: 'port of the embedded PostgreSQL',
  }),
  SMTP_URL: Type.Optional(
    Type.String({
      pattern: '^smtps?://',
      [RULE]: 'an smtp:// or smtps:// URL',
      description:
        'SMTP server of the usage reports, e.g. smtps://user:pass@host:465; unset = .eml files in OUTBOX_DIR',
    }),
  ),
  MAIL_FROM: Type.String({
    pattern: '^([^<>]*<)?[^\\s@<>]+@[^\\s@<>]+>?$',
    [RULE]: 'an email address, or "Name <address>"',
    default: 'Docs chat reports <reports@localhost>',
    description: 'sender of the usage reports: address or "Name <address>"',
  }),
  OUTBOX_DIR: Type.String({
    minLength: 1,
    default: 'outbox',
    description: 'folder of the .eml files written when SMTP_URL is unset',
  }),
});

export type Config = Static<typeof ConfigSchema>;

// Values that may hold a password or a token are never echoed in an error message.
const SECRETS = new Set(['DATABASE_URL', 'SMTP_URL', 'ADMIN_TOKEN', 'OPENAI_API_KEY']);

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates the environment once; throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const config: Record<string, unknown> = {};
  const problems: string[] = [];
  // One variable at a time, so that every bad one is named, with the service's one validator.
  for (const [name, schema] of Object.entries(ConfigSchema.properties) as [string, TSchema][]) {
    const value = env[name];
    const result = check(
      Type.Object({ [name]: schema }),
      value === undefined || value === '' ? {} : { [name]: value },
      { fromText: true },
    );
    if (result.ok) {
      config[name] = (result.value as Record<string, unknown>)[name];
      continue;
    }
    const shown = SECRETS.has(name) ? '<hidden>' : JSON.stringify(value);
    problems.push(`  ${name}=${shown}: expected ${result.problem.rule}`);
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  return config as Config;
}

/** Settings that are valid but do nothing (OPENAI_* without MODEL_PROVIDER=openai). */
export function configWarnings(config: Config, env: Record<string, string | undefined> = process.env): string[] {
  const unused = Object.keys(env).filter(
    (name) => name.startsWith('OPENAI_') && name in ConfigSchema.properties && env[name],
  );
  return config.MODEL_PROVIDER === 'openai' || unused.length === 0
    ? []
    : [`${unused.join(', ')} ignored: MODEL_PROVIDER is ${config.MODEL_PROVIDER}`];
}

/**
 * loadConfig() for entry points: a bad environment prints what is wrong and exits, no stack trace; settings
 * that do nothing are named on stderr.
 */
export function loadConfigOrExit(): Config {
  try {
    const config = loadConfig();
    for (const warning of configWarnings(config)) console.error(`warning: ${warning}`);
    return config;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
}
