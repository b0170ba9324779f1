import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Config } from '../config.js';

export interface MailMessage {
  to: { name: string; address: string };
  subject: string;
  text: string;
  html: string;
  /** Stable for one report, so a receiver (and the outbox) can recognise a repeat. */
  messageId: string;
}

/** Where a message went, for the log line: never the body, never the SMTP credentials. */
export type Delivery = { smtpResponse: string } | { outboxFile: string };

export interface Mailer {
  send(message: MailMessage): Promise<Delivery>;
}

type MailConfig = Pick<Config, 'SMTP_URL' | 'MAIL_FROM' | 'OUTBOX_DIR'>;

// Short timeouts (nodemailer's default socket timeout is 10 minutes): a send holds a report's row lock.
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/** The domain of MAIL_FROM ("Reports <reports@example.com>" or "reports@example.com"), for Message-IDs. */
export function mailDomain(config: Pick<Config, 'MAIL_FROM'>): string {
  return /@([^\s@<>]+)>?$/.exec(config.MAIL_FROM)![1];
}

/**
 * SMTP through nodemailer when SMTP_URL is set; otherwise each message is written to OUTBOX_DIR as an .eml
 * file named after its Message-ID, so that writing the same report again replaces the file.
 */
export function createMailer(config: MailConfig): Mailer {
  const fields = (m: MailMessage) => ({
    from: config.MAIL_FROM,
    to: m.to,
    subject: m.subject,
    text: m.text,
    html: m.html,
    messageId: m.messageId,
    // RFC 3834: no out-of-office replies to a report.
    headers: { 'Auto-Submitted': 'auto-generated' },
  });

  if (config.SMTP_URL) {
    const smtp = nodemailer.createTransport({ url: config.SMTP_URL, ...SMTP_TIMEOUTS });
    return {
      async send(m) {
        const info = await smtp.sendMail(fields(m));
        return { smtpResponse: info.response };
      },
    };
  }

  const outbox = path.resolve(config.OUTBOX_DIR);
  const stream = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(m) {
      const info = await stream.sendMail(fields(m));
      const name = m.messageId.replace(/^<|@.*$/g, '').replace(/[^\w.-]/g, '_');
      const file = path.join(outbox, `${name}.eml`);
      await mkdir(outbox, { recursive: true });
      // Write then rename: a reader never sees half a message.
      await writeFile(`${file}.tmp`, info.message as Buffer);
      await rename(`${file}.tmp`, file);
      return { outboxFile: file };
    },
  };
}
