// Imported first by main.ts, before any library: the signal listeners present at start (among them tsx's,
// which tells its parent process that we handle the signal; without it tsx SIGKILLs us 30 ms later).
export const baseline = {
  SIGINT: process.listeners('SIGINT'),
  SIGTERM: process.listeners('SIGTERM'),
};

/** Removes the SIGINT/SIGTERM listeners that libraries added since start. */
export function dropLibrarySignalHandlers(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    for (const listener of process.listeners(signal)) {
      if (!baseline[signal].includes(listener)) process.off(signal, listener);
    }
  }
}
