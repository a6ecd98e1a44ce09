import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

import type * as CommunicationEmail from '@azure/communication-email';
import type { EmailClient, EmailMessage as AcsEmailMessage } from '@azure/communication-email';
import type MailComposerType from 'nodemailer/lib/mail-composer';

import type { Config } from '../config';
import { azureCredential } from './credential.client';
import { onFirstUse } from './lazy';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use (cold start, see lazy.ts)
const communicationEmail = onFirstUse(() => require('@azure/communication-email') as typeof CommunicationEmail);
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use (cold start, see lazy.ts)
const mailComposer = onFirstUse(() => require('nodemailer/lib/mail-composer') as typeof MailComposerType);

/** One email to send. `messageId` makes sending idempotent: the same id is sent at most once. */
export interface EmailMessage {
  messageId: string;
  to: { address: string; displayName?: string };
  subject: string;
  html: string;
  text: string;
  attachments: { filename: string; contentType: string; content: Buffer }[];
}

export interface EmailSender {
  send(message: EmailMessage): Promise<{ providerId: string }>;
}

/**
 * The simulated sender (the default locally and wherever ACS is not configured): each message is
 * an RFC 5322 .eml file in the outbox folder, written atomically (temp file + rename) and named
 * so that files sort by time. A small index beside the folder (`<outbox>.ids/<message id>` → the
 * file's name) answers "already written?" in one look-up, however many emails the folder holds
 * (scanning the folder made a 100,000-receipt bank file quadratic).
 *
 * The index entry is claimed first, atomically (a hard link fails if the entry exists), and it
 * fixes the file's name: two sends of one message at once (a redelivery racing a resend whose
 * claim lapsed) write the same name, and a rename onto one name leaves one file. A crash after
 * the claim and before the file leaves an entry naming a missing file, which the next send writes.
 */
export class EmlFolderEmailSender implements EmailSender {
  private indexed: Promise<void> | undefined;

  constructor(
    private readonly dir: string,
    private readonly from: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private get indexDir(): string {
    return `${this.dir}.ids`;
  }

  async send(message: EmailMessage): Promise<{ providerId: string }> {
    await this.ensureIndex();
    const name = await this.claimName(message.messageId);
    const file = path.join(this.dir, name);
    if (await exists(file)) return { providerId: name };
    const raw = await new (mailComposer())({
      from: { name: 'EPM - Cuponeras', address: this.from },
      to: message.to.displayName ? { name: message.to.displayName, address: message.to.address } : message.to.address,
      subject: message.subject,
      text: message.text,
      html: message.html,
      messageId: `<${message.messageId}@cuponeras.epm.com.co>`,
      date: this.now(),
      attachments: message.attachments.map((a) => ({
        filename: a.filename,
        contentType: a.contentType,
        content: a.content,
      })),
    })
      .compile()
      .build();
    const temp = path.join(this.dir, `.${name}.${randomBytes(4).toString('hex')}.tmp`);
    await fs.writeFile(temp, raw);
    await fs.rename(temp, file);
    return { providerId: name };
  }

  /** The file name of a message: the one its index entry holds, or a new one this call enters. */
  private async claimName(messageId: string): Promise<string> {
    const marker = path.join(this.indexDir, encodeURIComponent(messageId));
    const existing = await fs.readFile(marker, 'utf8').catch(() => undefined);
    if (existing) return existing;
    const name = `${this.now().toISOString().replace(/[-:]/g, '').replace('.', '')}-${messageId}.eml`;
    const temp = `${marker}.${randomBytes(4).toString('hex')}.tmp`;
    await fs.writeFile(temp, name);
    try {
      await fs.link(temp, marker);
      return name;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      return await fs.readFile(marker, 'utf8'); // another send entered it first: its name is the one
    } finally {
      await fs.rm(temp, { force: true });
    }
  }

  /** The index, built once from the folder if the folder predates it. */
  private ensureIndex(): Promise<void> {
    this.indexed ??= (async () => {
      await fs.mkdir(this.dir, { recursive: true });
      try {
        await fs.mkdir(this.indexDir);
      } catch {
        return; // it exists: it is kept up to date by every send
      }
      for (const name of await fs.readdir(this.dir)) {
        const id = /^\d{8}T\d{9}Z-(.+)\.eml$/.exec(name)?.[1];
        if (id) await fs.writeFile(path.join(this.indexDir, encodeURIComponent(id)), name);
      }
    })();
    return this.indexed;
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

/**
 * Azure Communication Services Email. The message id is sent as the operation id, so a retried
 * send (the same queue message handled again) is recognised by ACS instead of sent twice.
 */
export class AcsEmailSender implements EmailSender {
  constructor(
    private readonly client: EmailClient,
    private readonly sender: string,
    private readonly pollIntervalMs = 2000,
  ) {}

  async send(message: EmailMessage): Promise<{ providerId: string }> {
    const request: AcsEmailMessage = {
      senderAddress: this.sender,
      recipients: { to: [{ address: message.to.address, displayName: message.to.displayName }] },
      content: { subject: message.subject, plainText: message.text, html: message.html },
      attachments: message.attachments.map((a) => ({
        name: a.filename,
        contentType: a.contentType,
        contentInBase64: a.content.toString('base64'),
      })),
    };
    const poller = await this.client.beginSend(request, {
      operationId: message.messageId,
      updateIntervalInMs: this.pollIntervalMs,
    });
    const result = await poller.pollUntilDone();
    if (result.status !== 'Succeeded')
      throw new Error(`ACS email ${result.id} ended ${result.status}: ${result.error?.message ?? 'no detail'}`);
    return { providerId: result.id };
  }
}

export function createEmailSender(email: Config['email']): EmailSender {
  if (email.mode === 'outbox') return new EmlFolderEmailSender(email.outboxDir, email.sender);
  const client = email.acsConnectionString
    ? new (communicationEmail().EmailClient)(email.acsConnectionString)
    : new (communicationEmail().EmailClient)(email.acsEndpoint ?? '', azureCredential({ kind: 'default' }));
  return new AcsEmailSender(client, email.sender);
}
