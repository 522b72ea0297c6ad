import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { AppContext } from '../context.js';
import type { OutboxMessage } from './outbox.js';

/** Sends one outbox message; resolves once the SMTP server accepted it or the file is written. */
export interface Mailer {
  /** `smtp` or `files`, and where to, for logs and the admin. */
  readonly destination: string;
  send(message: OutboxMessage): Promise<void>;
  close(): void;
}

const mailers = new WeakMap<AppContext, Mailer>();

/**
 * The context's mailer, created on first use: SMTP through nodemailer when `SMTP_URL` is set,
 * otherwise one `.eml` file per message under `DATA_DIR/outbox/`. Logs once where emails go,
 * and closes through `context.onClose`.
 */
export function getMailer(context: AppContext): Mailer {
  const existing = mailers.get(context);
  if (existing) return existing;

  const mailer = context.config.smtpUrl
    ? createSmtpMailer(context, context.config.smtpUrl)
    : createFileMailer(context);
  mailers.set(context, mailer);
  // Closers run last-registered first; put this one at the front so it runs after the outbox
  // worker has finished its pass with it.
  context.onClose.unshift(() => {
    mailer.close();
    mailers.delete(context);
  });
  context.logger
    .child({ area: 'mail' })
    .info({ destination: mailer.destination }, `emails go to ${mailer.destination}`);
  return mailer;
}

/**
 * A Message-ID that stays the same for every attempt of one outbox row, so a message sent
 * twice (a crash between the SMTP server's acceptance and the `sent_at` update) is
 * recognisable as the same message. The domain is MAIL_FROM's, which does not change between
 * restarts the way a listening port can.
 */
export function messageIdFor(context: AppContext, outboxId: string): string {
  const address = /<([^>]+)>/.exec(context.config.mailFrom)?.[1] ?? context.config.mailFrom;
  const domain =
    address
      .split('@')[1]
      ?.trim()
      .replace(/[^A-Za-z0-9.-]/g, '') || 'vitrine.invalid';
  return `<${outboxId}@${domain}>`;
}

/** MAIL_FROM as given when it carries a name, else the bare address in the store's name. */
function senderAddress(context: AppContext): string | nodemailer.SendMailOptions['from'] {
  const { mailFrom, storeName } = context.config;
  return mailFrom.includes('<') ? mailFrom : { name: storeName, address: mailFrom.trim() };
}

function toMailOptions(context: AppContext, message: OutboxMessage): nodemailer.SendMailOptions {
  return {
    from: senderAddress(context),
    to: message.to,
    subject: message.subject,
    text: message.text,
    html: message.html,
    messageId: messageIdFor(context, message.id),
    headers: { 'X-Vitrine-Kind': message.kind },
  };
}

/** Shows where SMTP mail goes without the password: `smtp://user@host:port`. */
function describeSmtpUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : '';
    return `${parsed.protocol}//${user}${parsed.host}`;
  } catch {
    return 'smtp';
  }
}

function createSmtpMailer(context: AppContext, smtpUrl: string): Mailer {
  // No pool: each message opens its own connection, so an SMTP server that went away and came
  // back is picked up on the next attempt without stale sockets.
  // Timeouts stay well inside the outbox claim lease, so a hung server cannot outlive a claim
  // and let a second worker send the same row.
  const transport = nodemailer.createTransport({
    url: smtpUrl,
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
  });
  return {
    destination: describeSmtpUrl(smtpUrl),
    async send(message) {
      const info = await transport.sendMail(toMailOptions(context, message));
      // nodemailer resolves when the server answered 250 to DATA for at least one recipient.
      if (info.rejected.length > 0) {
        throw new Error(`the SMTP server rejected ${info.rejected.join(', ')}`);
      }
    },
    close() {
      transport.close();
    },
  };
}

function createFileMailer(context: AppContext): Mailer {
  const dir = context.paths.outbox;
  const transport = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'unix',
  });
  return {
    destination: `files in ${dir}`,
    async send(message) {
      const info = await transport.sendMail(toMailOptions(context, message));
      const bytes = info.message as Buffer;
      await fs.promises.mkdir(dir, { recursive: true });
      // Written under a temporary name, then renamed: a reader never sees half a message, and
      // the same outbox row always lands on the same final name.
      const finalPath = path.join(dir, `${message.id}.eml`);
      const tmpPath = path.join(dir, `.${message.id}.${crypto.randomBytes(4).toString('hex')}.tmp`);
      await fs.promises.writeFile(tmpPath, bytes, { mode: 0o600 });
      await fs.promises.rename(tmpPath, finalPath);
    },
    close() {
      transport.close();
    },
  };
}
