import { FormatRegistry } from '@sinclair/typebox';

// Fastify validates formats with ajv-formats; TypeBox's own Value.Check (CLI, worker payloads) needs them
// registered too, or every formatted string fails.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

FormatRegistry.Set('uuid', (v) => UUID.test(v));
FormatRegistry.Set('email', (v) => EMAIL.test(v));
FormatRegistry.Set('date-time', (v) => !Number.isNaN(Date.parse(v)));
