import { sql } from 'drizzle-orm';
import { pgTable, text, timestamp, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { projects } from './projects.js';

export const categories = pgTable(
  'categories',
  {
    id: uuid().primaryKey().defaultRandom(),
    projectId: uuid()
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    description: text().notNull().default(''),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Names are unique within a project regardless of case.
    uniqueIndex('categories_project_name_key').on(t.projectId, sql`lower(${t.name})`),
    // Target of the threads' composite foreign key: a thread can only carry a category of its own project.
    unique('categories_project_id_id_key').on(t.projectId, t.id),
  ],
);

export const DEFAULT_CATEGORIES = [
  {
    name: 'Discovery',
    description:
      'The user is trying to find out how to do something, e.g. "What are the system requirements for running the software?"',
  },
  {
    name: 'Troubleshooting',
    description:
      'The user needs help with a problem, e.g. "When I run your program my computer runs out of memory, what can I do?"',
  },
] as const;
