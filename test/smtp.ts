// A real SMTP server in the test process (the `smtp-server` package) on 127.0.0.1, and just enough MIME
// parsing to read what it received.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { Test } from 'tap';

export interface ReceivedMail {
  to: string[];
  raw: string;
}

/**
 * Starts a server on a free port, closed in teardown. `failing` makes it answer 451 (try again later) to
 * every message; `hold()` keeps the next message in DATA until released. With `auth`, it requires that login.
 */
export async function startSmtpServer(t: Test, opts: { auth?: { user: string; pass: string } } = {}) {
  const received: ReceivedMail[] = [];
  const state = { failing: false, gate: null as Promise<void> | null, onData: () => {} };
  const server = new SMTPServer({
    logger: false,
    // Plain text on loopback: no TLS upgrade for nodemailer to attempt.
    disabledCommands: opts.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    allowInsecureAuth: true,
    authOptional: !opts.auth,
    onAuth(auth, _session, callback) {
      const ok = auth.username === opts.auth?.user && auth.password === opts.auth?.pass;
      callback(ok ? null : new Error('invalid credentials'), ok ? { user: auth.username } : undefined);
    },
    onMailFrom(_address, _session, callback) {
      if (!state.failing) return callback();
      callback(Object.assign(new Error('mail service unavailable, try again later'), { responseCode: 451 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        state.onData();
        await state.gate;
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const credentials = opts.auth ? `${opts.auth.user}:${encodeURIComponent(opts.auth.pass)}@` : '';
  return {
    url: `smtp://${credentials}127.0.0.1:${port}`,
    received,
    set failing(value: boolean) {
      state.failing = value;
    },
    /** Holds messages in DATA: `entered` resolves when one arrives, `release()` lets them all through. */
    hold() {
      let release = () => {};
      state.gate = new Promise<void>((r) => (release = r));
      const entered = new Promise<void>((r) => (state.onData = r));
      return { entered, release };
    },
  };
}

export interface ParsedMail {
  headers: Record<string, string>;
  text: string;
  html: string;
}

const splitHead = (s: string) => {
  const at = s.indexOf('\n\n');
  const headers: Record<string, string> = {};
  for (const line of s.slice(0, at).replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body: s.slice(at + 2) };
};

const decode = (body: string, encoding = '7bit') => {
  if (/base64/i.test(encoding)) return Buffer.from(body, 'base64').toString('utf8');
  if (!/quoted-printable/i.test(encoding)) return body;
  return body
    .replace(/=\n/g, '')
    .replace(/(=[0-9A-F]{2})+/g, (m) => Buffer.from(m.replaceAll('=', ''), 'hex').toString('utf8'));
};

/** Headers (lower-case names) and the decoded text/plain and text/html parts of a multipart message. */
export function parseMail(raw: string): ParsedMail {
  const { headers, body } = splitHead(raw.replace(/\r\n/g, '\n'));
  const boundary = /boundary="?([^";]+)"?/.exec(headers['content-type'] ?? '')?.[1];
  if (!boundary) throw new Error('not a multipart message');
  const parts = body.split(`--${boundary}`).slice(1, -1).map((p) => splitHead(p.replace(/^\n/, '')));
  const part = (type: string) => {
    const found = parts.find((p) => p.headers['content-type']?.startsWith(type));
    if (!found) throw new Error(`no ${type} part`);
    return decode(found.body.replace(/\n$/, ''), found.headers['content-transfer-encoding']);
  };
  return { headers, text: part('text/plain'), html: part('text/html') };
}
