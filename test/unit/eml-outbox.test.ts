import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { EmlFolderEmailSender } from '../../shared/clients/email.client';

const message = (messageId: string) => ({
  messageId,
  to: { address: 'lucia@example.com', displayName: 'Lucía' },
  subject: 'Comprobante de pago',
  html: '<p>Pagada</p>',
  text: 'Pagada',
  attachments: [],
});

describe('the email outbox folder', () => {
  let dir: string;
  beforeEach(() => {
    dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'eml-')), 'outbox');
  });
  const emls = () => fs.readdirSync(dir).filter((name) => name.endsWith('.eml'));

  test('when the same message is sent twice, then one .eml file is written and both sends name it', async () => {
    const sender = new EmlFolderEmailSender(dir, 'DoNotReply@cuponeras.epm.com.co');
    const first = await sender.send(message('a7c1e0b4-0000-4000-8000-000000000001'));
    const again = await sender.send(message('a7c1e0b4-0000-4000-8000-000000000001'));
    await sender.send(message('a7c1e0b4-0000-4000-8000-000000000002'));
    expect(again.providerId).toBe(first.providerId);
    expect(emls()).toHaveLength(2);
    expect(fs.readFileSync(path.join(dir, first.providerId), 'utf8')).toContain('Subject: Comprobante de pago');
  });

  test('when the folder holds emails written before its index existed, then a new sender still recognises them', async () => {
    fs.mkdirSync(dir, { recursive: true });
    const old = '20261130T150000000Z-b8d2f1c5-0000-4000-8000-000000000003.eml';
    fs.writeFileSync(path.join(dir, old), 'Subject: antes\r\n\r\n');
    const sender = new EmlFolderEmailSender(dir, 'DoNotReply@cuponeras.epm.com.co');
    expect((await sender.send(message('b8d2f1c5-0000-4000-8000-000000000003'))).providerId).toBe(old);
    expect(emls()).toEqual([old]);
  });

  test('when another sender (another instance on the same folder) already wrote it, then it is not written again', async () => {
    const one = new EmlFolderEmailSender(dir, 'DoNotReply@cuponeras.epm.com.co');
    const other = new EmlFolderEmailSender(dir, 'DoNotReply@cuponeras.epm.com.co');
    const sent = await one.send(message('c9e3a2d6-0000-4000-8000-000000000004'));
    expect((await other.send(message('c9e3a2d6-0000-4000-8000-000000000004'))).providerId).toBe(sent.providerId);
    expect(emls()).toHaveLength(1);
  });

  test('when one message is sent many times at once (a redelivery racing a resend), then one .eml file is written', async () => {
    // Three instances on one folder, each sending the message four times at once.
    const instances = [1, 2, 3].map(() => new EmlFolderEmailSender(dir, 'DoNotReply@cuponeras.epm.com.co'));
    const sent = await Promise.all(
      [...instances, ...instances, ...instances, ...instances].map((sender) =>
        sender.send(message('d1f4b3e7-0000-4000-8000-000000000005')),
      ),
    );
    const names = new Set(sent.map((s) => s.providerId));
    expect(names.size).toBe(1);
    expect(emls()).toEqual([...names]);
    expect(fs.readdirSync(`${dir}.ids`)).toEqual([encodeURIComponent('d1f4b3e7-0000-4000-8000-000000000005')]);
  });

  test('when a crash left the index entry without its file, then the next send writes the file under that name', async () => {
    const sender = new EmlFolderEmailSender(dir, 'DoNotReply@cuponeras.epm.com.co');
    const first = await sender.send(message('e2a5c4f8-0000-4000-8000-000000000006'));
    fs.rmSync(path.join(dir, first.providerId)); // the crash: entered, never renamed into place
    const again = await new EmlFolderEmailSender(dir, 'DoNotReply@cuponeras.epm.com.co').send(
      message('e2a5c4f8-0000-4000-8000-000000000006'),
    );
    expect(again.providerId).toBe(first.providerId);
    expect(emls()).toEqual([first.providerId]);
  });
});
