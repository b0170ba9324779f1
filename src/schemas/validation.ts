// The one validator of the service: HTTP requests (Fastify's validator compiler), job payloads, command-line
// options and the environment all go through ajv with the same formats, defined here, and every refusal is
// said in words: the field and its rule ("name: text of 1 to 100 characters after trimming, not blank"),
// never a regular expression or a schema keyword.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
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

/** A schema's rule in words, where its keywords alone would say it badly (a pattern): see describe(). */
export const RULE = 'x-rule';

const ajv = (coerceTypes: boolean | 'array') =>
  new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: false, strict: false, verbose: true, formats: FORMATS });

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

type Schema = Record<string, unknown> & {
  type?: string;
  format?: string;
  const?: unknown;
  enum?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  items?: Schema;
  properties?: Record<string, Schema>;
};

const FORMAT_WORDS: Record<string, string> = {
  uuid: 'a UUID',
  'date-time': 'an ISO 8601 date-time with its offset (e.g. 2026-11-02T09:30:00Z)',
  email: 'an email address',
  uri: 'an absolute URL',
};

const n = (x: number) => x.toLocaleString('en-US');
function range(min: number | undefined, max: number | undefined, unit = '') {
  const u = (x: number) => (unit ? ` ${unit}${x === 1 ? '' : 's'}` : '');
  if (min !== undefined && max !== undefined) return min === max ? `exactly ${n(min)}${u(min)}` : `${n(min)} to ${n(max)}${u(max)}`;
  if (max !== undefined) return `at most ${n(max)}${u(max)}`;
  if (min !== undefined) return `at least ${n(min)}${u(min)}`;
  return '';
}

/** What a schema accepts, in words: "one of day, week, month", "an integer from 1 to 100", "a UUID, or none". */
export function describe(s: Schema): string {
  if (typeof s[RULE] === 'string') return s[RULE];
  if ('const' in s) return String(s.const);
  if (s.enum) return `one of ${s.enum.join(', ')}`;
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) {
    if (alternatives.every((a) => 'const' in a)) return `one of ${alternatives.map((a) => String(a.const)).join(', ')}`;
    return alternatives.map(describe).join(', or ');
  }
  const num = (min?: unknown, max?: unknown) => range(min as number | undefined, max as number | undefined);
  switch (s.type) {
    case 'string': {
      const what = (s.format && FORMAT_WORDS[s.format]) || 'text';
      const length = s.format ? '' : range(s.minLength as number | undefined, s.maxLength as number | undefined, 'character');
      return length ? `${what} of ${length}` : what;
    }
    case 'integer':
    case 'number': {
      const bounds = num(s.minimum, s.maximum);
      return `${s.type === 'integer' ? 'an integer' : 'a number'}${bounds ? (bounds.includes(' to ') ? ` from ${bounds}` : ` of ${bounds}`) : ''}`;
    }
    case 'boolean':
      return 'true or false';
    case 'null':
      return 'null';
    case 'array': {
      const count = range(s.minItems as number | undefined, s.maxItems as number | undefined, 'item');
      return `a list of ${describe(s.items ?? {})}${count ? ` (${count})` : ''}${s.uniqueItems ? ', without repeats' : ''}`;
    }
    case 'object':
      return 'a JSON object';
    default:
      return 'a valid value';
  }
}

/** "/events/0/url" as people write it: "events[0].url"; the root is `root` (body, query, a variable). */
function field(pointer: string, root: string): string {
  const parts = pointer.split('/').slice(1).map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (parts.length === 0) return root;
  return parts.reduce((out, p, i) => (/^\d+$/.test(p) ? `${out}[${p}]` : i === 0 ? p : `${out}.${p}`), '');
}

export interface Problem {
  /** The field, as people write it ("events[0]", "name"), or the root's name. */
  field: string;
  /** Its rule in words. */
  rule: string;
}

/**
 * The one problem worth telling, of ajv's errors: the deepest field (a nested field says more than the
 * object holding it), and at equal depth the whole union ("one of day, week, month") rather than one of its
 * branches.
 */
function problemOf(errors: ErrorObject[], root: string): Problem {
  let best: { depth: number; problem: Problem; union: boolean } | null = null;
  for (const e of errors) {
    const params = e.params as { missingProperty?: string; additionalProperty?: string };
    let pointer = e.instancePath;
    let rule: string;
    if (e.keyword === 'required') {
      pointer += `/${params.missingProperty}`;
      rule = 'required';
    } else if (e.keyword === 'additionalProperties') {
      pointer += `/${params.additionalProperty}`;
      const known = Object.keys((e.parentSchema as Schema | undefined)?.properties ?? {});
      rule = known.length ? `not a known field (known: ${known.join(', ')})` : 'not a known field';
    } else {
      rule = describe((e.parentSchema ?? {}) as Schema);
    }
    const depth = pointer.split('/').length;
    const union = e.keyword === 'anyOf' || e.keyword === 'oneOf';
    if (!best || depth > best.depth || (depth === best.depth && union && !best.union)) {
      best = { depth, union, problem: { field: field(pointer, root), rule } };
    }
  }
  return best?.problem ?? { field: root, rule: 'invalid' };
}

/** A validation function that first refuses text PostgreSQL cannot store, naming the field. */
function withTextCheck(validate: ValidateFunction): ValidateFunction {
  const wrapped = ((data: unknown) => {
    const bad = badText(data);
    if (bad !== null) {
      wrapped.errors = [{ keyword: 'text', instancePath: bad, schemaPath: '#', params: {}, message: NOT_TEXT, parentSchema: { [RULE]: NOT_TEXT } }];
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
export function check<T extends TSchema>(schema: T, value: unknown, opts: { fromText?: boolean; root?: string } = {}): Check<T> {
  const copy = opts.fromText ? structuredClone(value) : value;
  const validate = validator(schema, opts.fromText ?? false);
  if (validate(copy)) return { ok: true, value: copy as Static<T> };
  return { ok: false, problem: problemOf(validate.errors ?? [], opts.root ?? 'value') };
}
