import { pathToFileURL } from 'node:url';
import closeWithGrace from 'close-with-grace';
import { withDeadline } from './deadline.js';
import { errorFields } from '../observability/logger.js';
import type { Logger } from 'pino';

// A process exits within 10 s of SIGTERM/SIGINT. The steps share this budget; close-with-grace
// exits (with 1) at the hard limit if a step ignores its deadline.
const BUDGET_MS = 9500;
const HARD_LIMIT_MS = 10_000;
// One Ctrl-C in a terminal can arrive more than once: the terminal signals the whole foreground group,
// and npm and tsx, in that group, pass the signal on to their child too. A repeat this soon after the
// first is that same keypress, not an impatient second one.
const SAME_SIGNAL_MS = 1000;

/** A step of the shutdown, given the milliseconds left of the budget. */
export type ShutdownStep = [name: string, stop: (msLeft: number) => Promise<void>];

/**
 * On SIGTERM or SIGINT, runs the steps in order, each within what is left of the budget, logging each one
 * stopped, then exits 0; a second signal exits at once (with 1). An uncaught error also closes gracefully,
 * then exits 1.
 */
export function closeGracefully(log: Logger, steps: ShutdownStep[]): void {
  const signals = ['SIGINT', 'SIGTERM'] as const;
  let closingSince: number | null = null;
  const grace = closeWithGrace(
    {
      delay: HARD_LIMIT_MS,
      // SIGINT and SIGTERM are ours (below), to tell a repeated signal from a second one.
      skip: [...signals],
      logger: { error: (m: unknown) => log.error(m instanceof Error ? { err: m } : { reason: String(m) }, 'shutdown') },
      onSecondSignal: (signal) => log.warn({ signal }, 'second signal: exiting now'),
    },
    async ({ err }) => {
      closingSince ??= Date.now();
      const failure: (NodeJS.ErrnoException & { address?: string; port?: number }) | undefined = err;
      const taken = failure?.code === 'EADDRINUSE' ? failure : null;
      // A port another program holds is said in words (no stack): it is the user's to change, not a bug.
      if (taken)
        log.error(
          { address: taken.address, port: taken.port },
          'cannot listen: the port is in use by another program (set PORT)',
        );
      else if (err) log.error({ err }, 'uncaught error: shutting down');
      const end = Date.now() + BUDGET_MS;
      for (const [name, stop] of steps) {
        let failed = false;
        const done = await withDeadline(
          stop(end - Date.now()).catch((e) => {
            failed = true;
            log.warn({ ...errorFields(e), step: name }, 'shutdown step failed');
          }),
          end - Date.now(),
        );
        if (!done) log.warn({ step: name }, 'shutdown step ran out of time');
        else if (!failed) log.info({ step: name }, `${name} stopped`);
      }
      log.info('stopped');
    },
  );
  const onSignal = (signal: NodeJS.Signals) => {
    if (closingSince === null) {
      closingSince = Date.now();
      log.info({ signal }, 'shutting down');
      void grace.close();
    } else if (Date.now() - closingSince > SAME_SIGNAL_MS) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
  };
  for (const signal of signals) process.on(signal, onSignal);
}

/** True in the module that node was started with (`node dist/src/server.js`), false when imported. */
export const isMain = (moduleUrl: string) =>
  process.argv[1] !== undefined && moduleUrl === pathToFileURL(process.argv[1]).href;
