import net from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A message the SMTP server accepted (answered 250 to DATA), parsed with mailparser. */
export interface ReceivedMail {
  envelope: { from: string | false; to: string[] };
  parsed: ParsedMail;
  raw: Buffer;
  messageId: string | undefined;
  subject: string;
  text: string;
  html: string;
  to: string;
}

export interface TestSmtpOptions {
  /** Listen on this port (to bring a server "back" after an outage); default: a free port. */
  port?: number;
  /**
   * Decides per message whether to refuse it with a 451 (temporary failure). Refused messages
   * are not recorded in `messages`.
   */
  refuse?: (mail: ReceivedMail) => boolean;
  /**
   * Called after a message is read and before the server answers; the answer waits until the
   * returned promise resolves. Lets a test act while the sender is waiting for "250".
   */
  beforeAccept?: (mail: ReceivedMail) => Promise<void> | void;
}

export interface TestSmtp {
  port: number;
  /** `smtp://127.0.0.1:<port>` for SMTP_URL. */
  url: string;
  /** Accepted messages, in arrival order. */
  messages: ReceivedMail[];
  /** Every DATA the server read, accepted or not. */
  received: ReceivedMail[];
  /** Polls until `predicate` holds for the accepted messages, or throws after `timeoutMs`. */
  waitFor(
    predicate: (messages: ReceivedMail[]) => boolean,
    timeoutMs?: number,
  ): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

/**
 * A real SMTP server (smtp-server) on 127.0.0.1 that parses every message with mailparser.
 * No TLS and no auth: the store's nodemailer transport talks to it over plain SMTP, exactly
 * as it would to a local relay.
 */
export async function startTestSmtp(options: TestSmtpOptions = {}): Promise<TestSmtp> {
  const messages: ReceivedMail[] = [];
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    closeTimeout: 1000,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw)
          .then(async (parsed) => {
            const mail: ReceivedMail = {
              envelope: {
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : false,
                to: session.envelope.rcptTo.map((r) => r.address),
              },
              parsed,
              raw,
              messageId: parsed.messageId,
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
              to: session.envelope.rcptTo.map((r) => r.address).join(', '),
            };
            received.push(mail);
            await options.beforeAccept?.(mail);
            if (options.refuse?.(mail)) {
              const error = new Error('Try again later') as Error & { responseCode: number };
              error.responseCode = 451;
              callback(error);
              return;
            }
            messages.push(mail);
            callback();
          })
          .catch((error: Error) => callback(error));
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // smtp-server keeps the net.Server at `.server`; its address has the bound port.
  const port = ((server as unknown as { server: net.Server }).server.address() as net.AddressInfo)
    .port;

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    received,
    async waitFor(predicate, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(messages)) {
        if (Date.now() > deadline) {
          throw new Error(
            `waitFor(): condition not met within ${timeoutMs} ms; ${messages.length} message(s) accepted`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return messages;
    },
    close() {
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port that was free a moment ago and has nothing listening on it now. */
export async function reserveClosedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Polls `check` every 20 ms until it returns a truthy value, or throws after `timeoutMs`. */
export async function pollUntil<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 15_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline)
      throw new Error(`pollUntil(): ${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
