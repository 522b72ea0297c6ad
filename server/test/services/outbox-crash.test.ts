import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { drainOutbox } from '../../src/services/outbox.js';
import { startTestServer } from '../helpers/app.js';
import { reserveClosedPort, startTestSmtp, type TestSmtp } from '../helpers/smtp.js';

const CHILD = path.join(import.meta.dirname, '..', 'helpers', 'outbox-crash-child.ts');
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vitrine-crash-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts the child store and resolves with its order id once the payment is committed. */
function startChild(
  dataDir: string,
  smtpUrl: string,
  mode: 'wait' | 'send',
): { child: ChildProcess; committed: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, smtpUrl, mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const committed = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /committed (\S+)\n/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`child ended (${code ?? signal}) before committing: ${err}`)),
    );
  });
  return { child, committed };
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

async function restartAndCollect(dataDir: string, mail: TestSmtp, orderId: string) {
  const server = await startTestServer(
    { SMTP_URL: mail.url, OUTBOX_POLL_MS: '20', STORE_NAME: 'Crash Test Shop' },
    { dataDir, background: true },
  );
  cleanups.push(() => server.close());
  await mail.waitFor((messages) => messages.some((m) => m.subject.includes(orderId)));
  // A further full pass after delivery must find nothing left to send.
  const again = await drainOutbox(server.app.locals.context);
  return { server, again };
}

describe('the outbox across a crash', () => {
  it('delivers the receipt exactly once after a process killed between payment and sending restarts', async () => {
    const dataDir = tempDataDir();
    const downPort = await reserveClosedPort();
    const { child, committed } = startChild(dataDir, `smtp://127.0.0.1:${downPort}`, 'wait');
    const orderId = await committed;
    await killed(child);
    const mail = await startTestSmtp();
    cleanups.push(() => mail.close());

    const { server, again } = await restartAndCollect(dataDir, mail, orderId);

    expect(again).toEqual({ sent: 0, failed: 0 });
    expect(mail.messages).toHaveLength(1);
    expect(mail.messages[0]!.to).toBe('crash@example.test');
    expect(mail.messages[0]!.text).toContain('Brass lamp');
    const row = server.app.locals.context.db
      .prepare('SELECT attempts, sent_at FROM outbox WHERE dedupe_key = ?')
      .get(`receipt:${orderId}`) as {
      attempts: number;
      sent_at: string | null;
    };
    expect(row.attempts).toBe(1);
    expect(row.sent_at).not.toBeNull();
  }, 60_000);

  it('delivers once, with the same Message-ID, when the process dies while the SMTP server is still reading the message', async () => {
    const dataDir = tempDataDir();
    let victim: ChildProcess | undefined;
    let first = true;
    const mail = await startTestSmtp({
      // The first copy: kill the sender before the server answers 250, then refuse it.
      async beforeAccept() {
        if (!first) return;
        first = false;
        if (victim) await killed(victim);
      },
      refuse: () => mail.received.length === 1,
    });
    cleanups.push(() => mail.close());
    const { child, committed } = startChild(dataDir, mail.url, 'send');
    victim = child;
    const orderId = await committed;
    await new Promise<void>((resolve) => child.once('exit', () => resolve()));

    await restartAndCollect(dataDir, mail, orderId);

    expect(mail.received).toHaveLength(2);
    expect(mail.messages).toHaveLength(1);
    expect(mail.received[0]!.messageId).toBe(mail.received[1]!.messageId);
    expect(mail.messages[0]!.subject).toContain(orderId);
  }, 60_000);
});
