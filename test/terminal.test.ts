// A terminal user's `npm start` and command-line tools: real processes, real signals, each on an embedded
// PostgreSQL data folder of the test's own (as a checkout's .data/postgres).
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t, { type Test } from 'tap';
import { createServer } from 'node:net';
import { freePort } from '../src/db/local.js';
import { extract } from '../src/sources/extract.js';
import { ownDocumentation } from '../src/sources/own-docs.js';
import { waitFor } from './helper.js';

async function dataFolder(t: Test) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'docs-chat-terminal-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The environment of a checkout whose data folder is `dir`: no DATABASE_URL, so the embedded server. */
function checkout(dir: string, pgPort: number, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    EMBEDDED_PG_DIR: dir,
    EMBEDDED_PG_PORT: String(pgPort),
    LOG_LEVEL: 'info',
    ...extra,
  };
  delete env.DATABASE_URL;
  return env;
}

/**
 * What `npm start` runs (node with tsx, src/main.ts), in a process group of its own as a terminal starts
 * a command, so that the whole group can be signalled as Ctrl-C does.
 */
function npmStart(t: Test, env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
  });
  return { child, exited, output: () => output };
}

/** waitFor, with the process's output in the error when it gives up. */
const until = (what: string, ok: () => boolean, output: () => string) =>
  waitFor(what, ok, { timeoutMs: 60_000 }).catch((err: Error) => {
    throw new Error(`${err.message}\n${output()}`);
  });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** `npm run admin -- <args>` (node with tsx, as the script runs it): exit code and output. */
const admin = (env: NodeJS.ProcessEnv, ...args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/admin.ts', ...args], { env }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    ),
  );

const STACK_FRAME = /^\s+at .+[(:]\d+/m;

t.test('npm start in a terminal: a second start, the CLI beside it, then Ctrl-C', async (t) => {
  const dir = await dataFolder(t);
  const pgPort = await freePort();
  const service = npmStart(t, checkout(dir, pgPort, { PORT: String(await freePort()), LLM_LATENCY_MS: '0' }));
  await until('the first start', () => /Demo project ready/.test(service.output()), service.output);
  const postmaster = Number(readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  t.ok(alive(postmaster), `the embedded PostgreSQL runs (pid ${postmaster})`);

  await t.test('the printed question, asked with the printed key, is answered from the README or docs/', async (t) => {
    const printed = service.output();
    const url = /curl -s -X POST (\S+\/chat)/.exec(printed)?.[1];
    const key = /X-API-KEY: (\S+?)'/.exec(printed)?.[1];
    const body = /-d '(\{"question".*\})'/.exec(printed)?.[1];
    if (!url || !key || !body) return void t.fail(`no curl to run in: ${printed}`);
    const ownTitles = new Set(
      ownDocumentation().map((d) => extract('text/markdown', d.content, { url: null, fallbackTitle: d.path }).title),
    );
    type Answer = { answer: string; relevant_sources: { title: string; url: string | null }[] };
    // Indexed by the worker within seconds of the start: asked again until its sources are in the answer.
    const answer = await waitFor(
      'an answer citing the service documentation',
      async () => {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'X-API-KEY': key, 'Content-Type': 'application/json' },
          body,
        });
        if (res.status !== 200) throw new Error(`chat answered ${res.status}: ${await res.text()}`);
        const json = (await res.json()) as Answer;
        return json.relevant_sources.some((s) => ownTitles.has(s.title)) && json;
      },
      { timeoutMs: 60_000, everyMs: 250 },
    );
    t.notMatch(answer.answer, /does not cover/, answer.answer);
    t.match(answer.answer, /source|site|documentation/i, 'about the question asked');
  });

  await t.test(
    'a second npm start on the same data folder says the folder is in use, and by which process',
    async (t) => {
      const second = npmStart(t, checkout(dir, pgPort, { PORT: String(await freePort()) }));
      const code = await second.exited;
      t.not(code, 0, `exits non-zero (${code})`);
      t.ok(second.output().includes(`the data folder ${dir} is in use`), second.output());
      t.match(second.output(), new RegExp(`started by pid ${service.child.pid}\\b`), 'names the first npm start');
      t.notMatch(second.output(), /port \d+ is taken|EADDRINUSE|Address already in use/, 'not that a port is taken');
      t.notMatch(second.output(), STACK_FRAME, 'no stack trace');
    },
  );

  await t.test(
    'the CLI works on the database of its data folder, and refuses a server of another folder',
    async (t) => {
      const same = await admin(checkout(dir, pgPort), 'teams', 'create', '--name', 'Terminal team');
      t.equal(same.code, 0, same.stderr);
      t.match(JSON.parse(same.stdout), { name: 'Terminal team' }, 'made on the running server of its folder');

      const other = await dataFolder(t);
      const mismatch = await admin(checkout(other, pgPort), 'teams', 'create', '--name', 'Nope');
      t.equal(mismatch.code, 1, 'exit code 1');
      t.ok(mismatch.stderr.includes(dir) && mismatch.stderr.includes(other), `names both folders: ${mismatch.stderr}`);
      t.equal(mismatch.stdout, '', 'nothing done');
      t.notMatch(mismatch.stderr, STACK_FRAME, 'no stack trace');
    },
  );

  // Ctrl-C: SIGINT to the whole foreground group; npm and tsx pass it on to their child once more.
  process.kill(-service.child.pid!, 'SIGINT');
  service.child.kill('SIGINT');
  const code = await Promise.race([service.exited, sleep(15_000).then(() => 'still running')]);
  t.equal(code, 0, 'exits 0');
  const lines = service
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'));
  const entries = lines.map((l) => JSON.parse(l) as { level: number; msg: string });
  t.same(
    entries.filter((e) => e.level >= 40),
    [],
    'no warning or error line',
  );
  t.notMatch(service.output(), STACK_FRAME, 'no stack trace');
  const at = (msg: string) => entries.findIndex((e) => e.msg === msg);
  t.ok(at('API stopped') >= 0, 'the API stopped');
  t.ok(at('API stopped') < at('worker stopped'), 'then the worker');
  t.ok(at('worker stopped') < at('embedded PostgreSQL stopped'), 'then the embedded PostgreSQL');
  t.notOk(alive(postmaster), 'no PostgreSQL of the data folder is left');
  t.notOk(existsSync(path.join(dir, 'postmaster.pid')), 'and it shut down cleanly (postmaster.pid removed)');
});

t.test('the CLI with no server on the port starts the one of its folder for the command, and stops it', async (t) => {
  const dir = await dataFolder(t);
  const res = await admin(checkout(dir, await freePort()), 'teams', 'create', '--name', 'Alone');
  t.equal(res.code, 0, res.stderr);
  t.match(JSON.parse(res.stdout), { name: 'Alone' });
  t.ok(existsSync(path.join(dir, 'PG_VERSION')), 'in its own data folder');
  t.notOk(existsSync(path.join(dir, 'postmaster.pid')), 'stopped when the command ends');
});

t.test('npm start on a port another program holds: one line that says so, no stack, exit 1', async (t) => {
  const holder = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => holder.once('listening', resolve));
  t.teardown(() => holder.close());
  const port = (holder.address() as { port: number }).port;
  const svc = npmStart(t, checkout(await dataFolder(t), await freePort(), { PORT: String(port) }));
  t.equal(await svc.exited, 1, 'exits 1');
  t.match(svc.output(), /cannot listen: the port is in use by another program \(set PORT\)/);
  t.notMatch(svc.output(), STACK_FRAME, 'no stack trace');
  t.match(svc.output(), /embedded PostgreSQL stopped/, 'what had started is stopped');
});
