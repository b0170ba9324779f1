import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { migrateDatabase } from '../src/db/migrate.js';
import { testDatabase } from './helper.js';

/** A database migrated up to (and including) migration number `last` only. */
async function migratedUpTo(t: Test, last: number) {
  const url = await testDatabase(t, { empty: true });
  const folder = await mkdtemp(path.join(os.tmpdir(), 'migrations-'));
  await cp('drizzle', folder, { recursive: true });
  const journalPath = path.join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(await readFile(journalPath, 'utf8')) as { entries: unknown[] };
  journal.entries = journal.entries.slice(0, last + 1);
  await writeFile(journalPath, JSON.stringify(journal));

  const sql = postgres(url, { max: 1, onnotice: () => {} });
  t.teardown(() => sql.end());
  await migrate(drizzle(sql), { migrationsFolder: folder });
  return { url, sql };
}

t.test('projects that existed before categorisation get the two default categories', async (t) => {
  const { url, sql } = await migratedUpTo(t, 0);
  const [team] = await sql<{ id: string }[]>`insert into teams (name) values ('Old') returning id`;
  const [project] = await sql<
    { id: string }[]
  >`insert into projects (team_id, project_name, product_name) values (${team.id}, 'old bot', 'Old') returning id`;

  await migrateDatabase(url);
  const rows = await sql<
    { name: string; description: string }[]
  >`select name, description from categories where project_id = ${project.id} order by name`;
  t.same(
    rows.map((r) => r.name),
    ['Discovery', 'Troubleshooting'],
  );
  t.match(rows[0].description, /find out how to do something/);
});

t.test('threads that existed before the time series rollup are counted in it', async (t) => {
  const { url, sql } = await migratedUpTo(t, 6);
  const [team] = await sql<{ id: string }[]>`insert into teams (name) values ('Old') returning id`;
  const [project] = await sql<
    { id: string }[]
  >`insert into projects (team_id, project_name, product_name) values (${team.id}, 'old bot', 'Old') returning id`;
  const [category] = await sql<
    { id: string }[]
  >`insert into categories (project_id, name) values (${project.id}, 'Billing') returning id`;
  await sql`
    insert into threads (project_id, created_at, first_question, category_id, category_source)
    select ${project.id}, timestamptz '2026-05-01 10:00Z' + n * interval '20 minutes', 'q',
      case when n % 2 = 0 then ${category.id}::uuid end, case when n % 2 = 0 then 'classifier'::category_source end
    from generate_series(0, 5) n`;

  await migrateDatabase(url);
  const counts = await sql<
    { hour: string; category_id: string | null; threads: number }[]
  >`select to_char(hour at time zone 'UTC', 'HH24:MI') as hour, category_id, threads from thread_counts
    where project_id = ${project.id} order by 1, category_id nulls last`;
  t.same(
    counts.map((r) => [r.hour, r.category_id, r.threads]),
    [
      ['10:00', category.id, 2], // 10:00, 10:40
      ['10:00', null, 1], // 10:20
      ['11:00', category.id, 1], // 11:20
      ['11:00', null, 2], // 11:00, 11:40
    ],
  );
});
