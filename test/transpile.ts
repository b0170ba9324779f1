// The test run's JavaScript: src/, tasks/, scripts/ and test/ transformed by esbuild, file by file (what tsx does on every
// import, done once), into a folder inside the project, so that the test files, and the services they start,
// load as plain Node.js modules. On two cores this matters: tsx's loader cost each process about 1.2 s more of
// CPU, and a run starts over a hundred of them. Files keep their paths (test/x.test.ts is
// <out>/test/x.test.js); the folders the code reads beside itself (test/fixtures, console/) are linked in.
import { readdir, rm, symlink } from 'node:fs/promises';
import path from 'node:path';

const SOURCES = ['src', 'tasks', 'scripts', 'test'];
const LINKED = ['test/fixtures', 'console'];

async function typeScriptFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.parentPath.includes('fixtures'))
    .map((e) => path.join(e.parentPath, e.name));
}

/** Transforms the sources into `out` (emptied first). */
export async function transpile(out: string): Promise<void> {
  await rm(out, { recursive: true, force: true });
  const { build } = await import('esbuild');
  const entryPoints = (await Promise.all(SOURCES.map(typeScriptFiles))).flat();
  await build({
    entryPoints,
    outdir: out,
    outbase: '.',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Stack traces name the TypeScript file and line (node runs with --enable-source-maps).
    sourcemap: 'inline',
    logLevel: 'warning',
  });
  for (const dir of LINKED) await symlink(path.resolve(dir), path.join(out, dir));
}

/** The transpiled path of a TypeScript file (`test/x.test.ts` → `<out>/test/x.test.js`); others unchanged. */
export const transpiled = (out: string, file: string) =>
  file.endsWith('.ts') ? path.join(out, file.replace(/\.ts$/, '.js')) : file;

/**
 * node's arguments for an entry point a test starts (`src/worker.ts`): its transpiled file under `npm test`
 * (TEST_BUILD_DIR), as the test files themselves run; otherwise through tsx.
 */
export function nodeArgs(script: string): string[] {
  const out = process.env.TEST_BUILD_DIR;
  if (!script.endsWith('.ts')) return [script];
  return out ? ['--enable-source-maps', transpiled(out, script)] : ['--import', 'tsx', script];
}
