import pTimeout from 'p-timeout';

/** True if `work` settled within `ms`; false if the deadline came first (the work is left to run). */
export const withDeadline = (work: Promise<unknown>, ms: number): Promise<boolean> =>
  pTimeout(
    work.then(
      () => true,
      () => true,
    ),
    { milliseconds: Math.max(0, ms), fallback: () => false },
  );
