// A real SMTP server in the test process (the `smtp-server` package) on 127.0.0.1, and `mailparser` to read
// what it received.
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
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
      stream.on('end', () => {
        state.onData();
        void Promise.resolve(state.gate).then(() => {
          received.push({
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
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

/**
 * A message parsed by mailparser (decoded headers, `to`, `from`, `subject`, `messageId`) with its own
 * text/plain and text/html parts decoded. Neither is made up from the other (mailparser would), so a
 * message without both throws.
 */
export async function parseMail(raw: string) {
  const mail = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true });
  if (!mail.text) throw new Error('no text/plain part');
  if (!mail.html) throw new Error('no text/html part');
  return { ...mail, text: mail.text, html: mail.html };
}
