// The one validator of the service: HTTP requests (Fastify's validator compiler), job payloads, command-line
// options and the environment all go through ajv with the same formats, defined here, and every refusal is
// said in words: the field and its rule ("name: text of 1 to 100 characters after trimming, not blank"),
// never a regular expression or a schema keyword.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import type { FastifySchemaCompiler } from 'fastify';
import type { Static, TSchema } from '@sinclair/typebox';
import { problemOf, RULE, type Problem } from './messages.js';

export { RULE };

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
  new Ajv({
    coerceTypes,
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    strict: false,
    verbose: true,
    formats: FORMATS,
  });

// Query strings, path parameters, command-line options and environment variables arrive as text and need
// coercion ("20" -> 20); JSON bodies and job payloads are typed already, and coercing them would accept
// {"question": 42} as "42".
const fromText = ajv('array');
const exact = ajv(false);

const wellFormed = (s: string) => (s as string & { isWellFormed(): boolean }).isWellFormed() && !s.includes('\0');

/**
 * The path to the first string in `value` (a key included) that is not text PostgreSQL can store: a lone
 * surrogate ("\ud800" is valid JSON, not valid Unicode) or a NUL. Null when there is none.
 */
function badText(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return wellFormed(value) ? null : path;
  if (value === null || typeof value !== 'object') return null;
  for (const [key, item] of Object.entries(value)) {
    if (!wellFormed(key)) return path;
    const bad = badText(item, `${path}/${key}`);
    if (bad !== null) return bad;
  }
  return null;
}

const NOT_TEXT = 'not valid Unicode text (it holds a lone surrogate or a NUL character)';

/** A validation function that first refuses text PostgreSQL cannot store, naming the field. */
function withTextCheck(validate: ValidateFunction): ValidateFunction {
  const wrapped = ((data: unknown) => {
    const bad = badText(data);
    if (bad !== null) {
      wrapped.errors = [
        {
          keyword: 'text',
          instancePath: bad,
          schemaPath: '#',
          params: {},
          message: NOT_TEXT,
          parentSchema: { [RULE]: NOT_TEXT },
        },
      ];
      return false;
    }
    const ok = validate(data);
    wrapped.errors = validate.errors;
    return ok;
  }) as ValidateFunction;
  return wrapped;
}

const ROOTS: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'headers' };

export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) =>
  withTextCheck((httpPart === 'body' ? exact : fromText).compile(schema)) as ReturnType<FastifySchemaCompiler<TSchema>>;

/** Fastify's schemaErrorFormatter: "name: text of 1 to 100 characters after trimming, not blank". */
export function schemaErrorFormatter(errors: ErrorObject[], dataVar: string): Error {
  const { field, rule } = problemOf(errors, ROOTS[dataVar] ?? dataVar);
  return new Error(`${field}: ${rule}`);
}

const compiled = new WeakMap<TSchema, ValidateFunction>();
function validator(schema: TSchema, coerce: boolean): ValidateFunction {
  if (coerce) return withTextCheck(fromText.compile(schema));
  let fn = compiled.get(schema);
  if (!fn) compiled.set(schema, (fn = withTextCheck(exact.compile(schema))));
  return fn;
}

export type Check<T extends TSchema> = { ok: true; value: Static<T> } | { ok: false; problem: Problem };

/**
 * Validates `value` against `schema`. With `fromText`, strings are converted to the schema's types first
 * and defaults filled in, on a copy. A refusal names the field (`root` for the value itself) and its rule.
 */
export function check<T extends TSchema>(
  schema: T,
  value: unknown,
  opts: { fromText?: boolean; root?: string } = {},
): Check<T> {
  const copy = opts.fromText ? structuredClone(value) : value;
  const validate = validator(schema, opts.fromText ?? false);
  if (validate(copy)) return { ok: true, value: copy as Static<T> };
  return { ok: false, problem: problemOf(validate.errors ?? [], opts.root ?? 'value') };
}
