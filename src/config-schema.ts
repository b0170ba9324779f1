import { Type, type Static } from '@sinclair/typebox';
import { RULE } from './schemas/validation.js';
import { ms, port, workSettings } from './config-work.js';

// The environment, one entry per variable (the service here, the work it calls and runs in config-work.ts): its rule, its default and what it does, grouped by topic. The
// configuration table of docs/configuration.md is generated from this schema (`npm run docs:config`): a description is
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
  ...workSettings,
});

export type Config = Static<typeof ConfigSchema>;
