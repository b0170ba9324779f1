import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

const ajv = (coerceTypes: boolean | 'array') => {
  const instance = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: false, strict: false });
  addFormats.default(instance);
  return instance;
};

// Query strings and path parameters arrive as text and need coercion ("20" -> 20); JSON bodies are
// already typed, and coercing them would accept {"question": 42} as "42".
const coercing = ajv('array');
const exact = ajv(false);

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? exact : coercing).compile(schema) as ReturnType<FastifySchemaCompiler<object>>;
