// Real processes for the reliability tests: a PostgreSQL of the test's own that it can stop and start
// again, and the service's entry points run as production runs them.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { startEmbeddedPostgres, type EmbeddedServer } from '../src/db/embedded.js';
import { freePort } from '../src/db/local.js';
import { migrateDatabase } from '../src/db/migrate.js';
import { waitFor } from './helper.js';
import { nodeArgs } from './transpile.js';

/** A PostgreSQL server of this test alone: `stop()` and `start()` it under a running service. */
export async function ownPostgres(t: Test) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'docs-chat-outage-'));
  const port = await freePort();
  let server: EmbeddedServer | null = null;
  const start = async () => {
    server = await startEmbeddedPostgres({ dir, port, persistent: true });
  };
  await start();
  const url = await server!.url('service');
  await migrateDatabase(url);
  t.teardown(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    url,
    start,
    async stop() {
      await server?.stop();
      server = null;
    },
  };
}

export type Service = Awaited<ReturnType<typeof startService>>;

/**
 * `node <script>` (a .ts file transpiled, see nodeArgs) with the given environment, on a free port (PORT, and METRICS_PORT for a
 * worker alone); resolves once it answers `readyPath`. Its output is kept (`output()`), and it is killed in
 * teardown if still running.
 */
export async function startService(t: Test, script: string, env: Record<string, string>, readyPath = '/health') {
  const port = await freePort();
  const child = spawn(process.execPath, nodeArgs(script), {
    env: {
      ...process.env,
      PORT: String(port),
      METRICS_PORT: String(port),
      LOG_LEVEL: 'warn',
      // Off: a loaded machine stalls a starting process's event loop for a second or more, and shedding
      // load then would fail a test that is right (the overload test sheds on heap use, in-process).
      OVERLOAD_EVENT_LOOP_DELAY_MS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(
    `${script} to answer ${readyPath}`,
    async () => {
      if (child.exitCode !== null) throw new Error(`${script} exited at start:\n${output}`);
      return fetch(`${base}${readyPath}`).then(
        (r) => r.ok,
        () => false,
      );
    },
    { timeoutMs: 60_000 },
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${output}`);
  });
  return {
    base,
    child,
    exited,
    output: () => output,
    running: () => child.exitCode === null && child.signalCode === null,
  };
}
