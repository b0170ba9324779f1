// Output: progress lines, the run's banner and options, latency summaries, Markdown tables, shared notes.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './code.js';

const started = process.hrtime.bigint();

/** Progress line, prefixed with the seconds since the start of the run. */
export function step(message: string): void {
  const s = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`[${s.toFixed(1).padStart(6)} s] ${message}`);
}

export function machine(): string {
  const cpus = os.cpus();
  return [
    `${cpus.length} CPU${cpus.length === 1 ? '' : 's'} (${cpus[0]?.model.trim() ?? 'unknown'})`,
    `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM`,
    `${os.type()} ${os.release()}`,
    `Node ${process.version}`,
  ].join(', ');
}

export function banner(title: string, code: string, settings: Record<string, string | number>): void {
  console.log(`\n== ${title} ==`);
  console.log(`date:     ${new Date().toISOString()}`);
  console.log(`code:     ${code}`);
  console.log(`machine:  ${machine()}`);
  console.log(
    `settings: ${Object.entries(settings)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  if (!existsSync(path.join(REPO_ROOT, 'node_modules', 'tsx'))) throw new Error('tsx is not installed: run npm ci');
}

/** A positive (or, with allowZero, non-negative) number from a CLI option, or the default. */
export function numberArg(value: string | undefined, fallback: number, name: string, allowZero = false): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !allowZero)) {
    throw new Error(
      `--${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

export interface Summary {
  n: number;
  median: number;
  p99: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function summarize(latencies: number[]): Summary {
  const sorted = Float64Array.from(latencies).sort();
  return { n: sorted.length, median: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

export const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(3)} ms` : 'n/a');
export const int = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
export const cores = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
export const passFail = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

/** A Markdown table, columns padded so it also reads well in a terminal. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** The first lines of a benchmark's results: title, [command,] machine and PostgreSQL, code, and whether it changed. */
export function printResultsHeader(
  title: string,
  p: { pgVersion: string; code: { text: string; changedSince: () => string | null }; command?: string },
): void {
  console.log(`\n== ${title} results ==`);
  if (p.command) console.log(`command: ${p.command}`);
  console.log(`machine: ${machine()}, PostgreSQL ${p.pgVersion}`);
  console.log(`code: ${p.code.text}`);
  const change = p.code.changedSince();
  if (change) console.log(`note: ${change}`);
}

/** What the "CPU bench / other" and "server CPU/req" columns mean (bench:chat and bench:threads). */
export function cpuColumnsNote(connections: number): string {
  return [
    `CPU bench / other: average cores used during the ${connections}-connection measurement by this benchmark's ` +
      `processes (load generator, API server, embedded PostgreSQL) / by other processes on the machine (max of both phases;` +
      ` a PostgreSQL given with DATABASE_URL that runs on this machine counts as other).`,
    `server CPU/req: CPU time (user + system) of the API server process per request at ${connections} connections; ` +
      `one Node process uses at most one core, so 1 / this is its throughput ceiling.`,
  ].join('\n');
}

/** A warning when other processes used more than 0.15 core during a measurement. */
export function warnIfDisturbed(busiest: number): void {
  if (busiest > 0.15) {
    console.log(
      `WARNING: other processes used up to ${cores(busiest)} cores during a measurement: the figures are disturbed, re-run on an idle machine.`,
    );
  }
}
