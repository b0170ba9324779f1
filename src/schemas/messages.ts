// Validation refusals in words: a field and its rule ("name: text of 1 to 100 characters after trimming, not
// blank", "interval: one of day, week, month"), made from the schema itself, never a regular expression or a
// schema keyword.
import type { ErrorObject } from 'ajv';

/** A schema's rule in words, where its keywords alone would say it badly (a pattern): see describe(). */
export const RULE = 'x-rule';

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
  if (min !== undefined && max !== undefined)
    return min === max ? `exactly ${n(min)}${u(min)}` : `${n(min)} to ${n(max)}${u(max)}`;
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
      const length = s.format
        ? ''
        : range(s.minLength as number | undefined, s.maxLength as number | undefined, 'character');
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
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
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
export function problemOf(errors: ErrorObject[], root: string): Problem {
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
      const known = Object.keys((e.parentSchema?.properties ?? {}) as Record<string, unknown>);
      rule = known.length ? `not a known field (known: ${known.join(', ')})` : 'not a known field';
    } else {
      rule = describe(e.parentSchema ?? {});
    }
    const depth = pointer.split('/').length;
    const union = e.keyword === 'anyOf' || e.keyword === 'oneOf';
    if (!best || depth > best.depth || (depth === best.depth && union && !best.union)) {
      best = { depth, union, problem: { field: field(pointer, root), rule } };
    }
  }
  return best?.problem ?? { field: root, rule: 'invalid' };
}
