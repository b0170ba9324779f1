// Values generated from the OpenAPI document's own schemas, for test/contract.test.ts: valid ones (each
// boundary, each branch, each optional property) and invalid ones (each constraint broken once).
// Every value is checked against the schema with Ajv before it is used, so a value that the document
// does not call valid (or invalid) is a bug here, never a reported mismatch.
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';

/** The part of OpenAPI 3.0's schema language the document uses; anything else stops the generator. */
export interface Schema {
  type?: string;
  format?: string;
  enum?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  nullable?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  items?: Schema;
  minItems?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
}
export interface Sample {
  label: string;
  value: unknown;
}

export const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

/** Ajv for the document's schemas: it knows OpenAPI's `nullable`; `example` is only documentation. */
export function openApiAjv(opts: { coerceTypes?: boolean } = {}) {
  const ajv = new Ajv({ strict: true, allErrors: true, coerceTypes: opts.coerceTypes ?? false });
  ajv.addVocabulary(['example', 'x-rule']); // x-rule: a field's rule in words, for the API's messages
  addFormats.default(ajv);
  return ajv;
}

/** Query strings and path segments are text: an object's values, or a value, as they travel. */
export const asText = (v: unknown): unknown =>
  v !== null && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]))
    : String(v);

// `nullable` and a null branch both give a null: one sample is enough.
const unique = (samples: Sample[]) => {
  const ids = samples.map((s) => s.label + JSON.stringify(s.value));
  return samples.filter((_, i) => ids.indexOf(ids[i]) === i);
};

export class Generator {
  private n = 0;
  private readonly ajv;

  /**
   * @param known real values for free-form strings by property name (fixture ids, a cursor).
   * @param text values travel as text (query, path): they are judged as the server reads them, coerced.
   */
  constructor(
    private readonly known: (name: string) => string | undefined,
    private readonly text = false,
  ) {
    this.ajv = openApiAjv({ coerceTypes: text });
  }

  accepts(schema: Schema, value: unknown): boolean {
    return this.ajv.validate<unknown>(schema, this.text ? asText(value) : value);
  }

  /** Values the schema accepts: the first is the plainest (required properties only, shortest strings). */
  valid(schema: Schema, name = ''): Sample[] {
    const samples = unique(this.validRaw(schema, name));
    for (const s of samples) {
      if (!this.accepts(schema, s.value)) {
        throw new Error(`generator bug: ${name} "${s.label}" is not valid: ${JSON.stringify(s.value).slice(0, 200)}`);
      }
    }
    return samples;
  }

  /** Values the schema rejects, one broken constraint each (candidates it accepts are dropped). */
  invalid(schema: Schema, name = ''): Sample[] {
    return unique(this.invalidRaw(schema, name)).filter((s) => !this.accepts(schema, s.value));
  }

  /**
   * For every string the schema holds (a property, an item, at any depth), a value that puts text
   * PostgreSQL cannot store there (a lone surrogate, a NUL), with the field as the API's messages name it
   * ("events[0]", "name"). The document has no way to say such text is invalid, so these are not in invalid().
   */
  badTexts(schema: Schema, field = '', opts: { surrogates?: boolean } = {}): (Sample & { field: string })[] {
    const bad = [
      { label: 'a lone surrogate', value: 'x\ud800' },
      { label: 'a NUL character', value: 'x\u0000' },
    ].filter((b) => opts.surrogates !== false || !b.label.includes('surrogate'));
    const branches = schema.anyOf ?? schema.oneOf ?? [schema];
    const out: (Sample & { field: string })[] = [];
    if (branches.some((b) => b.type === 'string')) out.push(...bad.map((b) => ({ ...b, field })));
    const object = branches.find((b) => b.type === 'object');
    if (object) {
      const base = this.validRaw(object, field)[0].value as Record<string, unknown>;
      for (const [k, p] of Object.entries(object.properties ?? {})) {
        for (const x of this.badTexts(p, field ? `${field}.${k}` : k, opts))
          out.push({ ...x, value: { ...base, [k]: x.value } });
      }
    }
    const array = branches.find((b) => b.type === 'array');
    if (array?.items)
      for (const x of this.badTexts(array.items, `${field}[0]`, opts)) out.push({ ...x, value: [x.value] });
    return out;
  }

  private validRaw(s: Schema, name: string): Sample[] {
    const nul = s.nullable ? [{ label: 'null', value: null }] : [];
    if (s.enum) return [...s.enum.map((value) => ({ label: JSON.stringify(value), value })), ...nul];
    const branches = s.anyOf ?? s.oneOf;
    if (branches) return branches.flatMap((b) => this.validRaw(b, name));
    switch (s.type) {
      case 'string':
        return [...this.strings(s, name), ...nul];
      case 'integer':
      case 'number': {
        const min = s.minimum ?? 0;
        const max = s.maximum ?? min + 1000;
        return [{ label: `${min} (minimum)`, value: min }, { label: `${max} (maximum)`, value: max }, ...nul];
      }
      case 'boolean':
        return [{ label: 'false', value: false }, { label: 'true', value: true }, ...nul];
      case 'null':
        return [{ label: 'null', value: null }];
      case 'array': {
        const one = { label: 'one item', value: [this.validRaw(s.items ?? {}, name)[0].value] };
        return [...((s.minItems ?? 0) === 0 ? [{ label: 'no items', value: [] }] : []), one, ...nul];
      }
      case 'object':
        return [...this.objects(s), ...nul];
      default:
        throw new Error(`generator: unsupported schema ${JSON.stringify(s)}`);
    }
  }

  private strings(s: Schema, name: string): Sample[] {
    const known = this.known(name);
    if (known !== undefined) return [{ label: 'a fixture', value: known }];
    if (s.format === 'uuid') return [{ label: 'uuid', value: UNKNOWN_ID }];
    if (s.format === 'date-time') return [{ label: 'date-time', value: '2024-01-01T00:00:00.000Z' }];
    if (s.format === 'email') {
      const longest = s.maxLength
        ? [{ label: `email of ${s.maxLength} characters`, value: this.email(s.maxLength) }]
        : [];
      return [{ label: 'email', value: this.email() }, ...longest];
    }
    if (s.format === 'uri') {
      // A public address literal: valid without a DNS lookup.
      const url = 'https://93.184.216.34/hook';
      const longest = s.maxLength
        ? [{ label: `uri of ${s.maxLength} characters`, value: url + 'a'.repeat(s.maxLength - url.length) }]
        : [];
      return [{ label: 'uri', value: url }, ...longest];
    }
    if (s.format) throw new Error(`generator: unsupported format ${s.format}`);
    const { shortest, longest } = this.span(s);
    const out = [{ label: `${shortest} characters`, value: this.chars(shortest, s.pattern) }];
    const why =
      longest === s.maxLength ? ' (maxLength)' : s.maxLength === undefined ? '' : ' (the most the pattern allows)';
    if (longest > shortest) out.push({ label: `${longest} characters${why}`, value: this.chars(longest, s.pattern) });
    // Without a pattern the document calls a blank string valid: does the API agree?
    if (!s.pattern && shortest > 0) out.push({ label: 'blank (no pattern forbids it)', value: ' '.repeat(shortest) });
    return out;
  }

  /** The shortest and longest texts of letters the schema accepts (a pattern may allow fewer than maxLength). */
  private span(s: Schema): { shortest: number; longest: number } {
    const fits = (len: number) => !s.pattern || new RegExp(s.pattern, 'u').test('x'.repeat(len));
    const min = s.minLength ?? 0;
    const max = s.maxLength ?? min + 12;
    let shortest = min;
    while (shortest <= max && !fits(shortest)) shortest++;
    if (shortest > max)
      throw new Error(`generator: no text of ${min} to ${max} letters matches the pattern ${s.pattern}`);
    let longest = max;
    while (!fits(longest)) longest--;
    return { shortest, longest };
  }

  private objects(s: Schema): Sample[] {
    const props = s.properties ?? {};
    const required = s.required ?? [];
    // Each object is built afresh, so names and emails stay unique (no 409 from reusing one).
    const build = (keys: string[]) => Object.fromEntries(keys.map((k) => [k, this.validRaw(props[k], k)[0].value]));
    const out = [{ label: 'required properties only', value: build(required) }];
    if (Object.keys(props).length > required.length)
      out.push({ label: 'every property', value: build(Object.keys(props)) });
    for (const [k, p] of Object.entries(props)) {
      // The first sample of a required property is already in the plainest object.
      for (const x of unique(this.validRaw(p, k)).slice(required.includes(k) ? 1 : 0)) {
        out.push({ label: `${k}: ${x.label}`, value: { ...build(required), [k]: x.value } });
      }
    }
    return out;
  }

  private invalidRaw(s: Schema, name: string): Sample[] {
    const out: Sample[] = [];
    const wrong =
      s.type === 'string' ? 12345 : s.type ? 'text' : [12345, 'text', true, {}].find((v) => !this.accepts(s, v));
    if (wrong !== undefined) out.push({ label: `wrong type (${JSON.stringify(wrong)})`, value: wrong });
    for (const b of s.anyOf ?? s.oneOf ?? []) out.push(...this.invalidRaw(b, name));
    if (s.enum) out.push({ label: 'unknown enum value', value: 'NOT_AN_OPTION' });
    if (s.type === 'string') {
      const min = s.minLength ?? 0;
      if (s.maxLength !== undefined) {
        const value = s.format === 'email' ? this.email(s.maxLength + 1) : this.chars(s.maxLength + 1);
        out.push({ label: `${s.maxLength + 1} characters (maxLength ${s.maxLength})`, value });
        const { longest } = s.format ? { longest: s.maxLength } : this.span(s);
        if (longest < s.maxLength)
          out.push({
            label: `${longest + 1} characters (the pattern allows ${longest})`,
            value: this.chars(longest + 1),
          });
      }
      if (min > 0) out.push({ label: `empty (minLength ${min})`, value: '' });
      if (s.pattern) out.push({ label: `blank (pattern ${s.pattern})`, value: ' '.repeat(Math.max(1, min)) });
      if (s.format) out.push({ label: `not a ${s.format}`, value: `not-a-${s.format}` });
    }
    if (s.type === 'integer' || s.type === 'number') {
      if (s.minimum !== undefined) out.push({ label: `below minimum ${s.minimum}`, value: s.minimum - 1 });
      if (s.maximum !== undefined) out.push({ label: `above maximum ${s.maximum}`, value: s.maximum + 1 });
      if (s.type === 'integer') out.push({ label: 'not an integer', value: (s.minimum ?? 0) + 0.5 });
    }
    if (s.type === 'object') {
      const props = s.properties ?? {};
      const base = this.validRaw(s, name)[0].value as Record<string, unknown>;
      for (const k of s.required ?? [])
        out.push({ label: `missing ${k}`, value: Object.fromEntries(Object.entries(base).filter(([p]) => p !== k)) });
      for (const [k, p] of Object.entries(props)) {
        for (const x of this.invalidRaw(p, k))
          out.push({ label: `${k}: ${x.label}`, value: { ...base, [k]: x.value } });
      }
      if (s.additionalProperties === false)
        out.push({ label: 'unknown property', value: { ...base, unknown_property: 1 } });
    }
    return out;
  }

  /** `len` letters, ending in a counter (so names stay unique), that match `pattern` if given. */
  private chars(len: number, pattern?: string): string {
    const tag = [...(++this.n).toString(26)].map((d) => String.fromCharCode(97 + parseInt(d, 26))).join('');
    const value = len === 0 ? '' : `${'x'.repeat(len)}${tag}`.slice(-len);
    if (pattern && !new RegExp(pattern, 'u').test(value))
      throw new Error(`generator: "${value}" does not match the pattern ${pattern}`);
    return value;
  }

  /** A unique address; with `len`, padded to exactly that length with domain labels of at most 63 characters. */
  private email(len?: number): string {
    let local = `u${++this.n}`;
    let domain = 'example.com';
    while (len !== undefined && local.length + 1 + domain.length < len) {
      const room = len - local.length - 1 - domain.length; // a label costs its length plus a dot
      if (room === 1)
        local += 'u'; // no room for a label and its dot
      else domain = `${'d'.repeat(Math.min(63, room - 1))}.${domain}`;
    }
    return `${local}@${domain}`;
  }
}
