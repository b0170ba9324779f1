import { Type, type Static } from '@sinclair/typebox';
import type { CategoryCount as CategoryCountRecord, CategoryRecord } from '../db/queries/categories.js';
import { Text, Timestamp, Trimmed, Uuid } from './common.js';

export const Category = Type.Object({
  id: Uuid(),
  name: Type.String(),
  description: Type.String(),
  created_at: Timestamp(),
  updated_at: Timestamp(),
});

// 1 to 100 characters once trimmed (the stored name is trimmed): the pattern says so to every client.
const Name = Trimmed(100, {
  maxLength: 1000,
  description: '1 to 100 characters after trimming; unique in the project regardless of case',
});
const Description = Text({ maxLength: 1000, description: 'at most 1,000 characters' });

export const NewCategory = Type.Object(
  { name: Name, description: Type.Optional(Description) },
  { additionalProperties: false },
);
export const CategoryChanges = Type.Object(
  { name: Type.Optional(Name), description: Type.Optional(Description) },
  { additionalProperties: false },
);

const CategoryCount = Type.Object({
  category: Type.Union([Type.Object({ id: Uuid(), name: Type.String() }), Type.Null()], {
    description: 'null: threads without a label yet',
  }),
  count: Type.Integer({ minimum: 0 }),
});

export const CategoryStats = Type.Object({
  results: Type.Array(CategoryCount),
  total: Type.Integer({ minimum: 0, description: 'threads of the project in the window; the counts add up to it' }),
});

export const CategoryTimeSeries = Type.Object({
  interval: Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')]),
  timezone: Type.String(),
  results: Type.Array(
    Type.Object({
      start: Type.String({
        description:
          'when the period begins in the time zone, ISO 8601 with its offset, e.g. 2026-11-02T00:00:00-05:00',
      }),
      total: Type.Integer({ minimum: 0, description: 'threads created in the period; the counts add up to it' }),
      categories: Type.Array(CategoryCount, { description: 'every category of the project, then null (unlabelled)' }),
    }),
    { description: 'one bucket per period overlapping the window, oldest first, empty ones included' },
  ),
});

/** A category as the API shows it: the one place its rows become JSON. */
export const toCategory = (c: CategoryRecord): Static<typeof Category> => ({
  id: c.id,
  name: c.name,
  description: c.description,
  created_at: c.createdAt.toISOString(),
  updated_at: c.updatedAt.toISOString(),
});

/** Threads of one category (or, with a null id, unlabelled) as the stats and the time series show them. */
export const toCategoryCount = (c: CategoryCountRecord): Static<typeof CategoryCount> => ({
  category: c.id ? { id: c.id, name: c.name! } : null,
  count: c.count,
});
