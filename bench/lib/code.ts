// Code snapshot: the working tree may change while a run takes minutes (someone editing, a checkout). The API
// servers and workers of a run all start from one copy of the code taken at the start (and the migrations are
// applied from it), so every round runs the same code.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onCleanup, onExit } from './cleanup.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// What `node --import tsx src/server.ts` and `src/worker.ts` read: code, migrations, tasks, the worker's crontab.
const SNAPSHOT_ENTRIES = ['src', 'drizzle', 'tasks', 'crontab', 'package.json', 'tsconfig.json'];
let codeDir: string | undefined;

/** Where servers and workers start: the code snapshot once taken, the working tree before. */
export const codeRoot = () => codeDir ?? REPO_ROOT;

/** A digest of the server's code (the snapshot entries) under `root`. */
function codeDigest(root = REPO_ROOT): string {
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
async function snapshotCode(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'docs-chat-bench-code-'));
  const forget = onExit(() => rmSync(dir, { recursive: true, force: true }));
  onCleanup('remove code snapshot', async () => {
    await rm(dir, { recursive: true, force: true });
    forget();
  });
  for (const entry of SNAPSHOT_ENTRIES) {
    if (existsSync(path.join(REPO_ROOT, entry)))
      await cp(path.join(REPO_ROOT, entry), path.join(dir, entry), { recursive: true });
  }
  await symlink(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  codeDir = dir;
  return codeDigest(dir);
}

/** The commit the working tree is on, and whether it has uncommitted changes (read-only git commands). */
function gitState(): string {
  const git = (...args: string[]) => {
    const r = spawnSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : null;
  };
  const head = git('rev-parse', '--short', 'HEAD');
  if (!head) return 'not a git checkout';
  const dirty = git('status', '--porcelain', '--untracked-files=no');
  return dirty ? `${head} + uncommitted changes` : head;
}

/**
 * Takes the code snapshot. text: "<commit>[ + uncommitted changes], code digest <digest>"; changedSince(): a note
 * when the working tree changed since.
 */
export async function describeCode(): Promise<{ text: string; changedSince: () => string | null }> {
  const digest = await snapshotCode();
  const text = `${gitState()}, code digest ${digest}`;
  return {
    text,
    changedSince: () => {
      const now = codeDigest();
      return now === digest
        ? null
        : `the working tree changed during the run (digest now ${now}); every API server and worker ran the snapshot taken at the start (${digest})`;
    },
  };
}
