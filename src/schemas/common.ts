import type { RouteOptions } from 'fastify';
import { Type, type TSchema } from '@sinclair/typebox';
import { RULE } from './validation.js';

export const Uuid = (description?: string) => Type.String({ format: 'uuid', description });
export const Timestamp = (description?: string) => Type.String({ format: 'date-time', description });
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

// Text PostgreSQL cannot store (a lone surrogate, a NUL) is refused for every string by the validator
// itself (schemas/validation.ts), so these schemas only say what their field allows; RULE says it in words
// where a pattern would otherwise be shown.
type TextOptions = { maxLength: number; description?: string };
const count = (n: number) => n.toLocaleString('en-US');

/** Any text up to `maxLength` characters. */
export const Text = (o: TextOptions) => Type.String(o);
/** Text that is not blank: at least one character that is not white space. */
export const NotBlank = (o: TextOptions) =>
  Type.String({
    ...o,
    minLength: 1,
    pattern: '\\S',
    [RULE]: `text of at most ${count(o.maxLength)} characters, not blank`,
  });
/** Text of 1 to `max` characters once trimmed (stored trimmed); `maxLength` bounds what may be sent. */
export const Trimmed = (max: number, o: TextOptions) =>
  Type.String({
    ...o,
    minLength: 1,
    pattern: `^\\s*\\S(?:[\\s\\S]{0,${max - 2}}\\S)?\\s*$`,
    [RULE]: `text of 1 to ${count(max)} characters after trimming, not blank`,
  });

export const ErrorSchema = Type.Object(
  {
    statusCode: Type.Integer({ examples: [404] }),
    error: Type.String({ examples: ['Not Found'] }),
    message: Type.String({ examples: ['thread not found'] }),
    code: Type.Optional(Type.String({ description: 'machine-readable error code', examples: ['NOT_FOUND'] })),
  },
  { description: 'The one error shape of every route' },
);

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input',
  401: 'Missing, unknown or revoked credentials',
  403: 'Credentials valid, but not for this resource',
  404: 'Not found',
  409: 'Conflicts with an existing resource',
  413: 'Body over 256 KiB',
  415: 'Unsupported content type (send application/json)',
  429: 'Rate limit exceeded (per API key), or too many failed authentications from this address; see Retry-After',
  503: 'Database unavailable, statement timed out, or server overloaded; see Retry-After',
};

/** Response schemas for the given error statuses, all with the one error shape. */
export function errors(...codes: number[]): Record<number, typeof ErrorSchema> {
  return Object.fromEntries(codes.map((c) => [c, { ...ErrorSchema, description: ERROR_DESCRIPTIONS[c] }]));
}

const WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * An onRoute hook that documents the errors every authenticated route can answer, so that no route can
 * forget one: 401/403 (credentials), 429 (rate limits), 503 (database, overload), 400 when it takes input
 * (a malformed JSON body included), 413/415 when its method carries a body. Routes list only their own
 * (404, 409).
 */
export function documentCommonErrors(route: RouteOptions): void {
  const methods = [route.method].flat();
  const schema = (route.schema ??= {});
  const codes = [401, 403, 429, 503];
  const body = methods.some((m) => WITH_BODY.has(m));
  if (body || schema.params || schema.querystring || schema.body) codes.push(400);
  if (body) codes.push(413, 415);
  schema.response = { ...errors(...codes), ...(schema.response as object) };
}

export const ProjectParams = Type.Object({ project_id: Uuid('project id') });

export const DateTimeFilter = (description: string) =>
  Type.String({ format: 'date-time', description: `${description} (ISO 8601 date-time with offset)` });

/** ?created_after= (inclusive) and ?created_before= (exclusive). */
export const DateWindow = Type.Object(
  {
    created_after: Type.Optional(DateTimeFilter('threads created at or after this time')),
    created_before: Type.Optional(DateTimeFilter('threads created before this time')),
  },
  { additionalProperties: false },
);
