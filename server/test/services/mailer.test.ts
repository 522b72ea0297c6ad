import fs from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { writeTransaction } from '../../src/db/database.js';
import { getMailer, messageIdFor } from '../../src/services/mailer.js';
import { drainOutbox, enqueueEmail } from '../../src/services/outbox.js';
import { startTestServer, type TestServer } from '../helpers/app.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('getMailer() without SMTP_URL', () => {
  it('writes each message as one .eml file under DATA_DIR/outbox and leaves no temporary files', async () => {
    server = await startTestServer({
      STORE_NAME: 'File Shop',
      MAIL_FROM: 'File Shop <shop@files.test>',
    });
    const context = server.app.locals.context;
    const { db } = context;
    writeTransaction(db, () => {
      enqueueEmail(db, {
        dedupeKey: 'eml:1',
        kind: 'receipt',
        to: 'ada@example.test',
        subject: 'Ünïcode receipt',
        text: 'Thank you.\nTotal: €12.50',
        html: '<p>Thank you.</p>',
      });
      enqueueEmail(db, {
        dedupeKey: 'eml:2',
        kind: 'refund',
        to: 'bob@example.test',
        subject: 'Refund',
        text: 'Refunded.',
      });
    });

    const result = await drainOutbox(context);

    expect(result).toEqual({ sent: 2, failed: 0 });
    const dir = path.join(server.dataDir, 'outbox');
    const ids = db.prepare('SELECT id FROM outbox ORDER BY dedupe_key').pluck().all() as string[];
    expect(fs.readdirSync(dir).sort()).toEqual(ids.map((id) => `${id}.eml`).sort());
    const parsed = await simpleParser(fs.readFileSync(path.join(dir, `${ids[0]}.eml`)));
    expect(parsed.subject).toBe('Ünïcode receipt');
    expect(parsed.from?.value).toEqual([{ address: 'shop@files.test', name: 'File Shop' }]);
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.text : '').toBe('ada@example.test');
    expect(parsed.text?.trim()).toBe('Thank you.\nTotal: €12.50');
    expect(parsed.html).toContain('<p>Thank you.</p>');
    expect(parsed.messageId).toBe(messageIdFor(context, ids[0]!));
  });

  it('says where emails go', async () => {
    server = await startTestServer();

    expect(getMailer(server.app.locals.context).destination).toBe(
      `files in ${path.join(server.dataDir, 'outbox')}`,
    );
  });
});

describe('getMailer() with SMTP_URL', () => {
  it('names the SMTP server without the password', async () => {
    server = await startTestServer({ SMTP_URL: 'smtp://mailer:s3cret-pass@127.0.0.1:2525' });

    expect(getMailer(server.app.locals.context).destination).toBe('smtp://mailer@127.0.0.1:2525');
  });
});
