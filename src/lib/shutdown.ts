import { pathToFileURL } from 'node:url';
import closeWithGrace from 'close-with-grace';
import { withDeadline } from './deadline.js';
import type { Logger } from 'pino';

// SPEC §8: a process exits within 10 s of SIGTERM/SIGINT. The steps share this budget; close-with-grace
// exits (with 1) at the hard limit if a step ignores its deadline.
const BUDGET_MS = 9500;
const HARD_LIMIT_MS = 10_000;

export type ShutdownStep = [name: string, stop: () => Promise<void>];

/**
 * On SIGTERM or SIGINT, runs the steps in order, each within what is left of the budget, then exits 0; a
 * second signal exits at once (close-with-grace). An uncaught error also closes gracefully, then exits 1.
 */
export function closeGracefully(log: Logger, steps: ShutdownStep[]): void {
  closeWithGrace(
    {
      delay: HARD_LIMIT_MS,
      logger: { error: (m: unknown) => log.error(m instanceof Error ? { err: m } : { detail: m }, 'shutdown') },
      onSecondSignal: (signal) => log.warn({ signal }, 'second signal: exiting now'),
    },
    async ({ signal, err }) => {
      if (err) log.error({ err }, 'uncaught error: shutting down');
      else log.info({ signal }, 'shutting down');
      const end = Date.now() + BUDGET_MS;
      for (const [name, stop] of steps) {
        const done = await withDeadline(
          stop().catch((e) => log.warn({ err: e, step: name }, 'shutdown step failed')),
          end - Date.now(),
        );
        if (!done) log.warn({ step: name }, 'shutdown step ran out of time');
      }
      log.info('stopped');
    },
  );
}

/** True in the module that node was started with (`node dist/src/server.js`), false when imported. */
export const isMain = (moduleUrl: string) =>
  process.argv[1] !== undefined && moduleUrl === pathToFileURL(process.argv[1]).href;
