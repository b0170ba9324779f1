import { Type, type TSchema } from '@sinclair/typebox';

export const Uuid = (description?: string) => Type.String({ format: 'uuid', description });
export const Timestamp = (description?: string) => Type.String({ format: 'date-time', description });
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

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
  415: 'Unsupported content type (send application/json)',
  503: 'Unavailable',
};

/** Response schemas for the given error statuses, all with the one error shape. */
export function errors(...codes: number[]): Record<number, typeof ErrorSchema> {
  return Object.fromEntries(codes.map((c) => [c, { ...ErrorSchema, description: ERROR_DESCRIPTIONS[c] }]));
}

/** Errors every project-scoped route (X-API-KEY) can answer. */
export const PROJECT_ERRORS = [400, 401, 403] as const;
export const ProjectParams = Type.Object({ project_id: Uuid('project id') });

const DateTimeFilter = (description: string) =>
  Type.String({ format: 'date-time', description: `${description} (ISO 8601 date-time with offset)` });

/** ?created_after= (inclusive) and ?created_before= (exclusive). */
export const DateWindow = Type.Object(
  {
    created_after: Type.Optional(DateTimeFilter('threads created at or after this time')),
    created_before: Type.Optional(DateTimeFilter('threads created before this time')),
  },
  { additionalProperties: false },
);
