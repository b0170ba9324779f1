// npm run seed -- --project <project_id> --threads <N>
// Inserts N historical, never-labelled threads, as the existing production data looks.
import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import { loadConfigOrExit } from '../config.js';
import { closeDb, createDb } from '../db/client.js';
import { openDevDatabaseOrExit } from '../db/dev-database.js';
import { migrateDatabase } from '../db/migrate.js';
import { seedManyThreads } from '../db/queries/seed.js';
import { projects } from '../db/schema/index.js';

const { values } = parseArgs({ options: { project: { type: 'string' }, threads: { type: 'string' } } });
const count = Number(values.threads);
if (!values.project || !/^[0-9a-f-]{36}$/i.test(values.project) || !Number.isInteger(count) || count < 1) {
  console.error('usage: npm run seed -- --project <project_id> --threads <N>');
  process.exit(2);
}

const config = loadConfigOrExit();
const database = await openDevDatabaseOrExit(config);
const db = createDb(database.url, { max: 2 });
let exitCode = 0;
try {
  await migrateDatabase(database.url);
  const [project] = await db.select({ id: projects.id }).from(projects).where(eq(projects.id, values.project));
  if (!project) throw new Error(`project ${values.project} not found`);
  const started = Date.now();
  await seedManyThreads(db, {
    projectId: project.id,
    count,
    onProgress: (done) => {
      const rate = Math.round(done / ((Date.now() - started) / 1000));
      process.stdout.write(
        `\r${done.toLocaleString('en')} / ${count.toLocaleString('en')} threads, ${rate.toLocaleString('en')}/s   `,
      );
    },
  });
  console.log(`\nseeded ${count} threads in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (err) {
  console.error(`seed failed: ${err instanceof Error ? err.message : err}`);
  exitCode = 1;
} finally {
  await closeDb(db);
  await database.release();
}
process.exit(exitCode);
