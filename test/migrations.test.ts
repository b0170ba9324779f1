import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { migrateDatabase } from '../src/db/migrate.js';
import { testDatabase } from './helper.js';

t.test('projects that existed before categorisation get the two default categories', async (t) => {
  const url = await testDatabase(t, { empty: true });
  const folder = await mkdtemp(path.join(os.tmpdir(), 'migrations-'));
  await cp('drizzle', folder, { recursive: true });
  const journalPath = path.join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(await readFile(journalPath, 'utf8'));
  journal.entries = journal.entries.slice(0, 1);
  await writeFile(journalPath, JSON.stringify(journal));

  const sql = postgres(url, { max: 1, onnotice: () => {} });
  t.teardown(() => sql.end());
  await migrate(drizzle(sql), { migrationsFolder: folder });
  const [team] = await sql`insert into teams (name) values ('Old') returning id`;
  const [project] = await sql`insert into projects (team_id, project_name, product_name) values (${team!.id}, 'old bot', 'Old') returning id`;

  await migrateDatabase(url);
  const rows = await sql`select name, description from categories where project_id = ${project!.id} order by name`;
  t.same(rows.map((r) => r.name), ['Discovery', 'Troubleshooting']);
  t.match(rows[0]!.description, /find out how to do something/);
});
