// npm test: one real PostgreSQL for the whole run (embedded unless DATABASE_URL is set), one migrated
// template database, the sources transpiled to JavaScript (test/transpile.ts), then tap over the transpiled
// test files. Each test file clones the template into a database of its own.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { startEmbeddedPostgres, type EmbeddedServer } from '../src/db/embedded.js';
import { migrateDatabase } from '../src/db/migrate.js';
import { freePort, withDatabase } from '../src/db/local.js';
import { transpile, transpiled } from './transpile.js';

let embedded: EmbeddedServer | undefined;
let serverUrl = process.env.DATABASE_URL;
if (!serverUrl) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'docs-chat-test-'));
  embedded = await startEmbeddedPostgres({ dir, port: await freePort(), persistent: false });
  serverUrl = await embedded.url('postgres');
}

const template = `test_template_${process.pid}`;
// Inside the project (the transpiled code finds node_modules and the project's files from there); one folder
// per run, so that two runs in one checkout do not overwrite each other's.
const build = path.join('.test-build', String(process.pid));
const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
let code = 1;
try {
  await admin.unsafe(`drop database if exists ${template}`);
  await admin.unsafe(`create database ${template}`);
  await Promise.all([migrateDatabase(withDatabase(serverUrl, template)), transpile(build)]);

  const args = process.argv.slice(2);
  // test/console/ holds the browser tests (the console driven in Chromium through the real server).
  const testsIn = async (dir: string) =>
    (await readdir(dir)).filter((f) => f.endsWith('.test.ts')).map((f) => `${dir}/${f}`);
  const files = args.length > 0 ? args : [...(await testsIn('test')), ...(await testsIn('test/console'))];
  code = await new Promise<number>((resolve) => {
    const tap = spawn('npx', ['tap', ...files.map((f) => transpiled(build, f))], {
      stdio: 'inherit',
      env: { ...process.env, TEST_SERVER_URL: serverUrl, TEST_TEMPLATE_DB: template, TEST_BUILD_DIR: build },
    });
    tap.on('exit', (c) => resolve(c ?? 1));
  });
} finally {
  await rm(build, { recursive: true, force: true });
  await admin.unsafe(`drop database if exists ${template} with (force)`).catch(() => {});
  await admin.end();
  await embedded?.stop();
}
process.exit(code);
