// CPU accounting: the machine is shared (2 cores), so every measurement reports how much CPU went to processes
// outside this benchmark's process tree (bench, API server, worker, embedded PostgreSQL) while it ran. Linux only;
// kernel threads and interrupt time (the loopback network's work, for one) are not counted as "other".
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { isStopping } from './cleanup.js';
import { cores, step } from './report.js';

export const TICKS_PER_SECOND = 100; // USER_HZ

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
export function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return NaN;
  }
}

function isUnder(procs: ProcTicks, pid: number, root: number): boolean {
  for (let q: number | undefined = pid, hops = 0; q && hops < 64; q = procs.get(q)?.ppid, hops++)
    if (q === root) return true;
  return false;
}

export interface CpuUse {
  /** Average cores used by this benchmark's own processes (bench, API server, worker, PostgreSQL). */
  own: number;
  /** Average cores used by other user processes on the machine: should be ~0 for trustworthy figures. */
  other: number;
}

/** user + nice + system ticks of the whole machine (irq, softirq and steal left out: mostly our network). */
function machineTicks(): number | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return f[0] + f[1] + f[2];
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
  while (Date.now() < deadline && !isStopping()) {
    const probe = cpuProbe();
    await sleep(1000);
    other = probe().other;
    if (!(other >= 0.1)) return;
  }
  step(`  machine still busy after ${maxSeconds} s (other processes ${cores(other)} cores): measuring anyway`);
}
