// The data layer's own promises: prepared statements everywhere, and the constraints the error
// translation (src/db/pg-errors.ts) names exist in the schema.
import { sql } from 'drizzle-orm';
import t from 'tap';
import { closeDb, createDb, rows } from '../src/db/client.js';
import { CONSTRAINTS } from '../src/db/pg-errors.js';
import { createCategory } from '../src/db/queries/categories.js';
import { createThread, listThreads } from '../src/db/queries/threads.js';
import { projectWithKey, standInUsage } from './factories.js';
import { testDatabase } from './helper.js';

t.test('every statement is prepared, in a transaction too', async (t) => {
  // One connection: pg_prepared_statements lists that session's statements.
  const db = createDb(await testDatabase(t), { max: 1 });
  t.teardown(() => closeDb(db));
  const a = await projectWithKey(db);
  await createCategory(db, { projectId: a.projectId, name: 'Billing', description: '' }); // a transaction
  await createThread(db, { projectId: a.projectId, question: 'q', answer: 'a', usage: standInUsage, classifyTimeoutSeconds: 60 }); // raw SQL
  await listThreads(db, { projectId: a.projectId, limit: 20 }); // the query builder
  await db.execute(sql`select 1 as not_prepared`); // drizzle's own execute: what the helpers are for

  const prepared = (await rows<{ statement: string }>(db, sql`select statement from pg_prepared_statements`)).map((r) => r.statement);
  const has = (re: RegExp) => prepared.some((s) => re.test(s));
  t.ok(has(/^insert into "categories"/), 'the insert inside createCategory\'s transaction');
  t.ok(has(/for update/), 'the lock inside it');
  t.ok(has(/with input as \(.*insert into threads/s), 'the raw one-statement chat write');
  t.ok(has(/^select .* from "threads" left join "categories"/), 'a builder select');
  t.notOk(has(/not_prepared/), 'a plain db.execute is not: the test sees the difference');
});

t.test('every constraint the error translation names exists', async (t) => {
  const db = createDb(await testDatabase(t), { max: 1 });
  t.teardown(() => closeDb(db));
  const names = await rows<{ name: string }>(db, sql`
    select conname as name from pg_constraint union select indexname from pg_indexes where schemaname = 'public'`);
  const existing = new Set(names.map((r) => r.name));
  for (const name of Object.keys(CONSTRAINTS)) t.ok(existing.has(name), name);
});
