// Cleanup: everything a run starts registers how to stop it; runMain runs those in reverse order at the end, on
// error and on SIGINT/SIGTERM. A synchronous 'exit' hook is the last resort for children and temp folders.
type Cleanup = { name: string; fn: () => Promise<void> };
const cleanups: Cleanup[] = [];
const lastResorts = new Set<() => void>();
let stopping = false;

export function onCleanup(name: string, fn: () => Promise<void>): void {
  cleanups.push({ name, fn });
}

/** A synchronous last resort run at process exit (kill a child, delete a folder); returns a function that removes it. */
export function onExit(fn: () => void): () => void {
  lastResorts.add(fn);
  return () => lastResorts.delete(fn);
}

/** True once the run is stopping (finished, failed, SIGINT/SIGTERM): measurements in progress end early. */
export const isStopping = () => stopping;

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
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
      console.error(`cleanup "${c.name}" failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

process.on('exit', () => {
  for (const fn of [...lastResorts].reverse()) {
    try {
      fn();
    } catch {
      // exiting anyway: the next one still runs
    }
  }
});

/** Runs the benchmark, then every cleanup, and exits: 0, 1 on error, 130/143 on SIGINT/SIGTERM. */
export function runMain(main: () => Promise<void>): void {
  const finish = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await runCleanups();
    process.exit(code);
  };
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
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
