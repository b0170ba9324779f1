import { sql } from 'drizzle-orm';
import { foreignKey, index, integer, pgEnum, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { categories } from './categories.js';
import { projects } from './projects.js';

export const categorySource = pgEnum('category_source', ['classifier', 'user']);

/** "No category" as a uuid literal, for expressions that must not be `category_id is null` (see below). */
export const NIL_CATEGORY = `'00000000-0000-0000-0000-000000000000'::uuid`;

export const threads = pgTable(
  'threads',
  {
    id: uuid().primaryKey().defaultRandom(),
    projectId: uuid()
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    // Denormalised so the list endpoint reads one row per thread, never the question_answers.
    firstQuestion: text().notNull(),
    totalQuestions: integer().notNull().default(1),
    // The label: null until classified. Deleting a category clears it first (see deleteCategory).
    categoryId: uuid(),
    categorySource: categorySource(),
    categorizedAt: timestamp({ withTimezone: true }),
    // Moved by every change a client can see : a follow-up, a label set, changed or cleared,
    // feedback. Threads that existed before this column count as changed when it was added.
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    // For an unlabelled thread, when the sweep may (re)enqueue it: -infinity = now, a time = a job holds
    // it until then (so a dead worker's threads come back), infinity = parked (its project has no categories).
    classificationDueAt: timestamp({ withTimezone: true })
      .notNull()
      .default(sql`'-infinity'`),
  },
  (t) => [
    foreignKey({
      name: 'threads_project_category_fk',
      columns: [t.projectId, t.categoryId],
      foreignColumns: [categories.projectId, categories.id],
    }).onDelete('no action'),
    // Keyset pagination, newest first, within one project; and the same per category / per source.
    index('threads_project_created_idx').on(t.projectId, sql`${t.createdAt} desc`, sql`${t.id} desc`),
    index('threads_project_category_created_idx').on(
      t.projectId,
      t.categoryId,
      sql`${t.createdAt} desc`,
      sql`${t.id} desc`,
    ),
    index('threads_project_source_created_idx').on(
      t.projectId,
      t.categorySource,
      sql`${t.createdAt} desc`,
      sql`${t.id} desc`,
    ),
    // Incremental sync: oldest change first within one project.
    index('threads_project_updated_idx').on(t.projectId, t.updatedAt, t.id),
    // A relabel run's work list: the threads the classifier labelled, in the order it did.
    index('threads_classifier_labelled_idx')
      .on(t.projectId, t.categorizedAt, t.id)
      .where(sql`${t.categorySource} = 'classifier'`),
    // The sweep's work list: only unlabelled threads, in the order they fall due, then as they were created
    // (a backfill batch then holds threads of a few hours, and its labels leave few deltas in the rollup).
    index('threads_unlabelled_due_idx')
      .on(t.classificationDueAt, t.createdAt, t.id)
      .where(sql`${t.categoryId} is null`),
    // The list's `category_id=none`: unlabelled threads by UTC hour of creation (the time series rollup's hour),
    // newest first, so a page reads only the hours that the rollup says hold unlabelled threads (see
    // listThreads). Its predicate is not written `category_id is null` on purpose: that would let the planner
    // read this list from the sweep's index instead, which is no better against labelled threads' dead entries.
    index('threads_unlabelled_hour_idx')
      .on(t.projectId, sql`date_trunc('hour', ${t.createdAt}, 'UTC') desc`, sql`${t.createdAt} desc`, sql`${t.id} desc`)
      .where(sql`coalesce(${t.categoryId}, ${sql.raw(NIL_CATEGORY)}) = ${sql.raw(NIL_CATEGORY)}`),
  ],
);
