// npm run seed -- --project <project_id> --threads <N>
// Inserts N historical, never-labelled threads, as the existing production data looks.
import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import { migrateDatabase } from '../db/migrate.js';
import { seedManyThreads } from '../db/queries/seed.js';
import { projects } from '../db/schema/index.js';
import { openCliDatabase, runAsCommand, type CliIo } from './io.js';

const USAGE = 'usage: npm run seed -- --project <project_id> --threads <N>';

export async function seed(argv: string[], io: CliIo): Promise<number> {
  let values: { project?: string; threads?: string } = {};
  try {
    ({ values } = parseArgs({ args: argv, options: { project: { type: 'string' }, threads: { type: 'string' } } }));
  } catch {
    // An unknown option: the usage below.
  }
  const count = Number(values.threads);
  const projectId = values.project;
  if (!projectId || !/^[0-9a-f-]{36}$/i.test(projectId) || !Number.isInteger(count) || count < 1) {
    io.stderr(`${USAGE}\n`);
    return 2;
  }
  const opened = await openCliDatabase(io, { max: 2 });
  if (!opened) return 1;
  const { url, db, close } = opened;
  try {
    await migrateDatabase(url);
    const [project] = await db.select({ id: projects.id }).from(projects).where(eq(projects.id, projectId));
    if (!project) throw new Error(`project ${projectId} not found`);
    const started = Date.now();
    await seedManyThreads(db, {
      projectId: project.id,
      count,
      onProgress: (done) => {
        const rate = Math.round(done / ((Date.now() - started) / 1000));
        io.stdout(
          `\r${done.toLocaleString('en')} / ${count.toLocaleString('en')} threads, ${rate.toLocaleString('en')}/s   `,
        );
      },
    });
    io.stdout(`\nseeded ${count} threads in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    return 0;
  } catch (err) {
    io.stderr(`seed failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await close();
  }
}

runAsCommand(import.meta.url, seed);
