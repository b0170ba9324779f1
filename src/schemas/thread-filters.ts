import { Type, type Static } from '@sinclair/typebox';
import type { ListThreadsParams } from '../db/queries/thread-list.js';
import { DateTimeFilter, DateWindow, Uuid } from './common.js';
import { CategorySource } from './threads.js';

/** The filters of the threads list and the export (a list cursor carries them). */
export const ThreadFilters = Type.Composite([
  DateWindow,
  Type.Object({
    category_id: Type.Optional(
      Type.Union([Uuid(), Type.Literal('none')], { description: 'a category id, or `none` for unlabelled threads' }),
    ),
    category_source: Type.Optional(CategorySource),
    updated_since: Type.Optional(
      DateTimeFilter(
        'threads changed at or after this time, oldest change first (incremental sync: ask again from the largest updated_at seen; the bound is inclusive)',
      ),
    ),
  }),
]);
export type ThreadFilters = Static<typeof ThreadFilters>;

/** The filters as the list query takes them. */
export const toListFilters = (q: ThreadFilters): Omit<ListThreadsParams, 'projectId' | 'limit' | 'cursor'> => ({
  createdAfter: q.created_after,
  createdBefore: q.created_before,
  updatedSince: q.updated_since,
  categoryId: q.category_id === 'none' ? null : q.category_id,
  categorySource: q.category_source,
});
