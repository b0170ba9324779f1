// HTTP: single requests, the sub-millisecond sequential latency loop (1 connection) and autocannon load.
import http from 'node:http';
import autocannon from 'autocannon';
import { isStopping } from './cleanup.js';
import { cpuProbe, processTicks, TICKS_PER_SECOND, type CpuUse } from './cpu.js';

export interface Target {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  headers: Record<string, string>;
  /** Called once per request: a body per request, so that requests can differ (e.g. new questions). */
  body?: () => string;
}

/** Chat bodies, a new question every call: template x subject, plus a number so that no two are equal. */
export function newQuestions(templates: string[], subjects: string[]): () => string {
  let questionNo = 0;
  return () => {
    const n = questionNo++;
    const q = templates[n % templates.length].replace(
      '%s',
      subjects[Math.floor(n / templates.length) % subjects.length],
    );
    return JSON.stringify({ question: `${q} (case ${n})` });
  };
}

/** The status of a GET (0 when it fails or takes over 1 s): readiness checks. */
export function getStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** One HTTP response body as text, with its status (for sanity checks). */
export function fetchOnce(baseUrl: string, target: Target): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const body = target.body?.();
    const req = http.request(`${baseUrl}${target.path}`, { method: target.method, headers: target.headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * One connection, one request at a time (keep-alive, node:http), for `seconds`: the latency of each request,
 * timed with process.hrtime.bigint() from sending to the end of the response, in fractional milliseconds.
 */
export async function sequentialLatency(
  baseUrl: string,
  target: Target,
  seconds: number,
): Promise<{ latencies: number[]; requestsPerSecond: number; cpu: CpuUse }> {
  const { latencies, elapsed, cpu } = await interleavedLatency([baseUrl], target, seconds);
  return { latencies: latencies[0], requestsPerSecond: latencies[0].length / elapsed, cpu };
}

/**
 * sequentialLatency against several servers at once, one request at a time in turn (A B, B A, A B, ...: each
 * goes first as often), one connection each: what drifts during the run (the machine, the database) falls on
 * every server alike, so their medians compare within a fraction of the drift of separate runs. The servers of a
 * turn get the same body (each its own request): requests that cost differently (a chat's question searched in a
 * project's sources) fall on every server alike too.
 */
export async function interleavedLatency(
  baseUrls: string[],
  target: Target,
  seconds: number,
): Promise<{ latencies: number[][]; elapsed: number; cpu: CpuUse }> {
  const servers = baseUrls.map((baseUrl) => ({
    agent: new http.Agent({ keepAlive: true, maxSockets: 1 }),
    url: new URL(target.path, baseUrl),
    latencies: [] as number[],
  }));
  const one = (server: (typeof servers)[number], body: string | undefined) =>
    new Promise<void>((resolve, reject) => {
      const headers =
        body === undefined ? target.headers : { ...target.headers, 'content-length': String(Buffer.byteLength(body)) };
      const t0 = process.hrtime.bigint();
      const req = http.request(server.url, { method: target.method, headers, agent: server.agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          const ms = Number(process.hrtime.bigint() - t0) / 1e6;
          if (res.statusCode !== 200)
            reject(new Error(`${target.method} ${target.path}: HTTP ${res.statusCode} ${text.slice(0, 300)}`));
          else {
            server.latencies.push(ms);
            resolve();
          }
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  const cpu = cpuProbe();
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(Math.round(seconds * 1e9));
  try {
    for (let turn = 0; process.hrtime.bigint() < end && !isStopping(); turn++) {
      const body = target.body?.();
      for (const server of turn % 2 === 0 ? servers : [...servers].reverse()) await one(server, body);
    }
  } finally {
    for (const server of servers) server.agent.destroy();
  }
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  return { latencies: servers.map((server) => server.latencies), elapsed, cpu: cpu() };
}

export interface LoadRun {
  /** Fractional ms of every 2xx response. */
  latencies: number[];
  /** Wall time of the run. */
  seconds: number;
  /** Non-2xx responses by status code. */
  statuses: Map<number, number>;
  result: autocannon.Result;
}

/**
 * One autocannon instance, `connections` concurrent keep-alive connections for `seconds` (stopped early when the
 * run stops). autocannon's own percentiles are whole milliseconds, so the fractional per-response times are
 * collected from its 'response' events; non-2xx responses are counted by status.
 */
export async function autocannonRun(
  baseUrl: string,
  request: autocannon.Request,
  connections: number,
  seconds: number,
): Promise<LoadRun> {
  const run: Omit<LoadRun, 'result'> = { latencies: [], seconds: 0, statuses: new Map() };
  const t0 = process.hrtime.bigint();
  const instance = autocannon({ url: baseUrl, connections, duration: seconds, timeout: 10, requests: [request] });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status >= 200 && status < 300) run.latencies.push(ms);
    else run.statuses.set(status, (run.statuses.get(status) ?? 0) + 1);
  });
  const onStop = setInterval(() => isStopping() && instance.stop(), 200);
  try {
    const result = await instance;
    return { ...run, seconds: Number(process.hrtime.bigint() - t0) / 1e9, result };
  } finally {
    clearInterval(onStop);
  }
}

/**
 * autocannonRun on `target`, where any error, timeout or non-2xx response fails the run: figures over failing
 * requests mean nothing. With `serverPid`, also the CPU time the API server process spent per request (its event
 * loop is one core).
 */
export async function loadTest(
  baseUrl: string,
  target: Target,
  connections: number,
  seconds: number,
  serverPid?: number,
): Promise<{ latencies: number[]; requestsPerSecond: number; cpu: CpuUse; serverCpuPerRequestMs: number }> {
  const bodyFn = target.body;
  const request: autocannon.Request = { method: target.method, path: target.path, headers: target.headers };
  if (bodyFn) {
    request.setupRequest = (r) => {
      r.body = bodyFn();
      return r;
    };
  }
  const cpu = cpuProbe();
  const server0 = serverPid === undefined ? NaN : processTicks(serverPid);
  const { latencies, seconds: elapsed, result } = await autocannonRun(baseUrl, request, connections, seconds);
  const use = cpu();
  const serverTicks = serverPid === undefined ? NaN : processTicks(serverPid) - server0;
  if (result.errors || result.timeouts || result.non2xx) {
    throw new Error(
      `${target.method} ${target.path} at ${connections} connections: ${result.errors} errors, ` +
        `${result.timeouts} timeouts, ${result.non2xx} non-2xx responses (4xx ${result['4xx']}, 5xx ${result['5xx']})`,
    );
  }
  return {
    latencies,
    requestsPerSecond: latencies.length / elapsed,
    cpu: use,
    serverCpuPerRequestMs: ((serverTicks / TICKS_PER_SECOND) * 1000) / latencies.length,
  };
}
