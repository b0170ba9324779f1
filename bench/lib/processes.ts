// The API server and the worker as child processes, as production runs them (and so that the load generator does
// not share their event loop): `node --import tsx <script>` in the code snapshot (code.ts), DATABASE_URL and the
// caller's env over each one's defaults, ready when it answers, stopped at the end, on error and on Ctrl-C.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../src/db/local.js';
import { onCleanup, onExit } from './cleanup.js';
import { codeRoot } from './code.js';
import { getStatus } from './http.js';

export interface ChildProcessHandle {
  pid: number;
  /** SIGTERM, then SIGKILL if it has not exited after its grace time. */
  stop(): Promise<void>;
}

/**
 * Spawns `node --import tsx <script>` in the code snapshot with `env` over this process's environment; its
 * stdout is dropped (writing logs is part of the production cost, keeping them is not), the tail of its stderr
 * kept for error messages. Resolves once `ready()` is true (polled every 100 ms, for at most 60 s).
 */
async function startChild(p: {
  name: string;
  script: string;
  env: Record<string, string>;
  graceMs: number;
  ready: () => Promise<boolean>;
}): Promise<ChildProcessHandle> {
  const child = spawn(process.execPath, ['--import', 'tsx', p.script], {
    cwd: codeRoot(),
    env: { ...process.env, ...p.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const forget = onExit(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), forget(), resolve())));

  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    await Promise.race([exit, sleep(p.graceMs)]);
    if (!exited) {
      child.kill('SIGKILL');
      await exit;
    }
  };
  onCleanup(`stop ${p.name} pid ${child.pid}`, stop);

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`${p.name} exited during start:\n${stderr}`);
    if (await p.ready()) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${p.name} was not ready within 60 s:\n${stderr}`);
    }
    await sleep(100);
  }
  return { pid: child.pid!, stop };
}

export interface ApiServer extends ChildProcessHandle {
  baseUrl: string;
}

/**
 * `src/server.ts` on a free port with LLM_LATENCY_MS=0 and LOG_LEVEL=info (logs go to /dev/null), the per-key
 * rate limit out of the way, unless `env` says otherwise; ready when GET /health answers 200.
 */
export async function startApiServer(opts: { databaseUrl: string; env?: Record<string, string> }): Promise<ApiServer> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const server = await startChild({
    name: 'API server',
    script: 'src/server.ts',
    env: {
      DATABASE_URL: opts.databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      LLM_LATENCY_MS: '0',
      LOG_LEVEL: 'info',
      // One key sends every request: the per-key limit (1,200 a minute by default) is not what we measure.
      RATE_LIMIT_PER_MINUTE: '10000000',
      ...opts.env,
    },
    graceMs: 5000,
    ready: async () => (await getStatus(`${baseUrl}/health`)) === 200,
  });
  return { ...server, baseUrl };
}

/**
 * `src/worker.ts` (npm run start:worker) with LOG_LEVEL=warn, unless `env` says otherwise; ready once it serves
 * its metrics (on a free port), which it does after its job pools have started. Its grace time covers running
 * jobs (SHUTDOWN_TIMEOUT_MS).
 */
export async function startWorker(opts: {
  databaseUrl: string;
  env?: Record<string, string>;
}): Promise<ChildProcessHandle & { metricsUrl: string }> {
  const metricsPort = await freePort();
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const worker = await startChild({
    name: 'worker',
    script: 'src/worker.ts',
    env: {
      DATABASE_URL: opts.databaseUrl,
      LOG_LEVEL: 'warn',
      METRICS_PORT: String(metricsPort),
      HOST: '127.0.0.1',
      ...opts.env,
    },
    graceMs: 15_000,
    ready: async () => (await getStatus(metricsUrl)) === 200,
  });
  return { ...worker, metricsUrl };
}
