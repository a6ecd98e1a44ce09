import { closePasswordHasher } from './clients/bcrypt.client';
import { type BlobStore, createBlobStore } from './clients/blob.client';
import { type Clock, systemClock } from './clients/clock.client';
import { createEmailSender, type EmailSender } from './clients/email.client';
import { createPaymentGateway, type PaymentGateway } from './clients/gateway.client';
import { createQueueAdmin, createQueuePublisher, type QueueAdmin, type QueuePublisher } from './clients/queue.client';
import { createSqlClient, type Db } from './clients/sql.client';
import { type Config, config } from './config';
import { useIdLayout } from './models/ids';
import { dispatchesSettled } from './outbox';

/**
 * The composition root: the clients every controller receives, built once per process from the
 * configuration. Tests replace parts with setServices (a manual clock, a fault-injecting queue).
 */
export interface Services {
  config: Config;
  db: Db;
  queue: QueuePublisher;
  /** The operators' hands on the queues: depths, and the poison queues' messages. */
  queueAdmin: QueueAdmin;
  clock: Clock;
  email: EmailSender;
  blobs: BlobStore;
  gateway: PaymentGateway;
}

/**
 * The account a person keeps (Ley 1581 de 2012, habeas data): the privacy policy they accept,
 * their email proven theirs, their password changed or reset, their profile corrected, all their
 * data handed over, and the account forgotten on request.
 */
export type AccountDeps = Pick<Services, 'db' | 'clock' | 'queue'> & {
  config: Pick<Config, 'jwt' | 'auth' | 'quotas' | 'email' | 'coupons' | 'delivery'>;
};

/** What the billing use cases (coupons, invoices, payments, their emails) need: they change state and publish messages. */
export type BillingDeps = Pick<Services, 'db' | 'clock' | 'queue'> & { config: Pick<Config, 'coupons' | 'quotas'> };

let current: Services | undefined;

export function services(): Services {
  if (!current) {
    const cfg = config();
    useIdLayout(cfg.database.engine === 'sqlite' ? 'time-first' : 'comb');
    current = {
      config: cfg,
      db: createSqlClient(cfg.database),
      // The breaker reads whichever clock the services hold now (tests swap in a manual one).
      queue: createQueuePublisher(cfg.queues, () => (current?.clock ?? systemClock).now().getTime()),
      queueAdmin: createQueueAdmin(cfg.queues),
      clock: systemClock,
      email: createEmailSender(cfg.email),
      blobs: createBlobStore(cfg.blobs),
      gateway: createPaymentGateway(cfg.payments),
    };
  }
  return current;
}

export function setServices(overrides: Partial<Services>): Services {
  current = { ...services(), ...overrides };
  return current;
}

export async function disposeServices(): Promise<void> {
  // The messages a request committed are being sent: let them leave before the pool closes.
  await dispatchesSettled();
  const db = current?.db;
  current = undefined;
  await Promise.all([db?.destroy(), closePasswordHasher()]);
}
