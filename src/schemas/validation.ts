// The one validator of the service: HTTP requests (Fastify's validator compiler), job payloads, command-line
// options and the environment all go through ajv with the same formats, defined here.
import { Ajv, type ValidateFunction } from 'ajv';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import type { FastifySchemaCompiler } from 'fastify';
import type { Static, TSchema } from '@sinclair/typebox';

const dateTime = fullFormats['date-time'] as { validate: (s: string) => boolean };

// Every value a format accepts is one PostgreSQL accepts too, so a client's input never reaches the
// database as something it refuses (which would be our mistake: a 500).
const FORMATS = {
  // Without ajv-formats' optional "urn:uuid:" prefix, which the uuid type refuses.
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  email: fullFormats.email as RegExp,
  uri: fullFormats.uri as (s: string) => boolean,
  // RFC 3339 with an offset; from year 1 (PostgreSQL has no year 0).
  'date-time': (s: string) => dateTime.validate(s) && !s.startsWith('0000'),
};

const ajv = (coerceTypes: boolean | 'array') =>
  new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: false, strict: false, formats: FORMATS });

// Query strings, path parameters, command-line options and environment variables arrive as text and need
// coercion ("20" -> 20); JSON bodies and job payloads are typed already, and coercing them would accept
// {"question": 42} as "42".
const fromText = ajv('array');
const exact = ajv(false);

export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? exact : fromText).compile(schema) as ReturnType<FastifySchemaCompiler<TSchema>>;

const compiled = new WeakMap<TSchema, ValidateFunction>();
function validator(schema: TSchema, coerce: boolean): ValidateFunction {
  if (coerce) return fromText.compile(schema);
  let fn = compiled.get(schema);
  if (!fn) compiled.set(schema, (fn = exact.compile(schema)));
  return fn;
}

export type Check<T extends TSchema> = { ok: true; value: Static<T> } | { ok: false; errors: { path: string; message: string }[] };

/**
 * Validates `value` against `schema`. With `fromText`, strings are converted to the schema's types first
 * and defaults filled in, on a copy.
 */
export function check<T extends TSchema>(schema: T, value: unknown, opts: { fromText?: boolean } = {}): Check<T> {
  const copy = opts.fromText ? structuredClone(value) : value;
  const validate = validator(schema, opts.fromText ?? false);
  if (validate(copy)) return { ok: true, value: copy as Static<T> };
  return { ok: false, errors: (validate.errors ?? []).map((e) => ({ path: e.instancePath, message: e.message ?? 'invalid' })) };
}
