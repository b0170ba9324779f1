// Every call the console makes goes through here: the documented HTTP API with the key or token the person
// typed, kept in sessionStorage (this tab only), sent as a header, never in a URL.

const PROJECT = 'console.project';
const ADMIN = 'console.admin';

const read = (name) => {
  try {
    return JSON.parse(sessionStorage.getItem(name) ?? 'null');
  } catch {
    return null;
  }
};

/** `{projectId, apiKey}` of the tab's project sign-in, or null. */
export const projectSession = () => read(PROJECT);
export const setProjectSession = (projectId, apiKey) =>
  sessionStorage.setItem(PROJECT, JSON.stringify({ projectId, apiKey }));
/** `{token}` of the tab's back-office sign-in, or null. */
export const adminSession = () => read(ADMIN);
export const setAdminSession = (token) => sessionStorage.setItem(ADMIN, JSON.stringify({ token }));
/** Forgets the tab's sign-ins: both, or only `'project'` or `'admin'`. */
export const signOut = (which) => {
  if (which !== 'admin') sessionStorage.removeItem(PROJECT);
  if (which !== 'project') sessionStorage.removeItem(ADMIN);
};

/** An error the API answered with: its own message, status and code. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `the server answered ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = body?.code;
    this.body = body;
  }
}

/** `?a=1&b=2` from an object, leaving out empty values; arrays repeat the key. */
export function query(params = {}) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    for (const one of Array.isArray(value) ? value : [value]) search.append(name, String(one));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

async function failure(res) {
  let body = null;
  try {
    body = await res.json();
  } catch {
    // Not the API's JSON (a proxy's page): the status says it.
  }
  return new ApiError(res.status, body);
}

async function send(url, headers, { method = 'GET', body, signal } = {}) {
  const init = { method, headers: { ...headers }, signal, cache: 'no-store', credentials: 'omit' };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, { message: `the server could not be reached (${err.message})` });
  }
  if (!res.ok) throw await failure(res);
  return res;
}

const projectHeaders = () => {
  const session = projectSession();
  if (!session) throw new ApiError(401, { message: 'not signed in', code: 'UNAUTHORIZED' });
  return [`/query/v1/projects/${encodeURIComponent(session.projectId)}`, { 'x-api-key': session.apiKey }];
};

const adminHeaders = () => {
  const session = adminSession();
  if (!session) throw new ApiError(401, { message: 'not signed in', code: 'UNAUTHORIZED' });
  return ['/admin/v1', { authorization: `Bearer ${session.token}` }];
};

const json = async (res) => (res.status === 204 ? null : res.json());

/** A project route (`path` after /query/v1/projects/{id}) → its parsed JSON; throws ApiError. */
export async function projectApi(path, opts) {
  const [base, headers] = projectHeaders();
  return json(await send(base + path, headers, opts));
}

/** A back-office route (`path` after /admin/v1) → its parsed JSON; throws ApiError. */
export async function adminApi(path, opts) {
  const [base, headers] = adminHeaders();
  return json(await send(base + path, headers, opts));
}

/** A project route's body as a Blob (exports): fetched with the key header, so the key stays out of URLs. */
export async function projectBlob(path, opts) {
  const [base, headers] = projectHeaders();
  const res = await send(base + path, headers, opts);
  return res.blob();
}

/** Saves a Blob as a file through a short-lived object URL. */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Asks the project's chat and streams the answer: calls `onDelta(text)` for each piece; resolves with the
 * stored answer (the `done` event: question, answer, thread_id, relevant_sources...); throws ApiError for an
 * error answered before or during the stream.
 */
export async function streamChat({ question, threadId, signal, onDelta }) {
  const [base, headers] = projectHeaders();
  const body = threadId ? { question, thread_id: threadId } : { question };
  const res = await send(
    `${base}/chat/stream`,
    { ...headers, accept: 'text/event-stream' },
    { method: 'POST', body, signal },
  );
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const { event, data } = parseEvent(block);
      if (event === 'delta') onDelta?.(data.text);
      else if (event === 'done') return data;
      else if (event === 'error') throw new ApiError(data.statusCode ?? 500, data);
    }
  }
  throw new ApiError(0, { message: 'the answer stopped before it was complete' });
}

function parseEvent(block) {
  let event = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  return { event, data: data.length ? JSON.parse(data.join('\n')) : null };
}
