import type { Knex } from 'knex';

import { ManualClock } from '../shared/clients/clock.client';
import type { PaymentGateway } from '../shared/clients/gateway.client';
import type { QueuePublisher } from '../shared/clients/queue.client';
import { type Config, LOCAL_SANDBOX_PAYMENTS } from '../shared/config';
import * as coupons from '../shared/controllers/coupon.controller';
import * as payments from '../shared/controllers/payment.controller';
import * as sandbox from '../shared/controllers/sandbox.controller';
import { recordContractAccess } from '../shared/models/contract.model';
import { findInvoice, type Invoice, listContractInvoices } from '../shared/models/invoice.model';
import type { BillingDeps } from '../shared/services';

/**
 * The demo customer's history, so that every screen shows something in a demo: a paid invoice, a
 * payment the operator reversed, an expired, a cancelled and an active coupon, made by the app's
 * own use cases on a clock walked through the last days. Their receipts and notifications wait
 * in the outbox; the running app's dispatcher delivers them, each dated when it happened.
 */

/** The seed runs before the queues are up: every send "fails" and the message stays in the outbox. */
const NOT_YET: QueuePublisher = {
  send: () => Promise.reject(new Error('queues start with the app; the outbox keeps this message')),
  ping: () => Promise.reject(new Error('no queue while seeding')),
};

const HOUR = 3600_000;

async function unpaidInvoice(db: Knex, contractNumber: string, which: 'current' | 'overdue'): Promise<Invoice> {
  const contract = await db<{ id: string; number: string }>('contracts').where({ number: contractNumber }).first('id');
  if (!contract) throw new Error(`demo contract ${contractNumber} is missing`);
  const unpaid = (await listContractInvoices(db, contract.id)).filter((i) => i.status === 'UNPAID');
  const invoice = which === 'current' ? unpaid[0] : unpaid[unpaid.length - 1];
  if (!invoice || (which === 'overdue' && unpaid.length < 2))
    throw new Error(`demo contract ${contractNumber} has no ${which} unpaid invoice`);
  return invoice;
}

export async function seedDemoHistory(
  db: Knex,
  ids: { customerId: string; operatorId: string },
  now: Date,
): Promise<void> {
  // The current invoices were issued five days ago: the story starts after that.
  const clock = new ManualClock(new Date(now.getTime() - 4 * 24 * HOUR));
  // The demo's payments are the sandbox's one-step payments (the history of a local demo).
  const deps: BillingDeps & { config: Pick<Config, 'payments'> } = {
    db,
    clock,
    queue: NOT_YET,
    config: {
      coupons: { validityHours: 72, overdueValidityHours: 4, billerGln: '7707181010011' },
      quotas: {
        registrationsPerClientPerHour: 10,
        searchesPerUserPerMinute: 30,
        searchedContractsPerUserPerDay: 200,
        couponLookupsPerUserPerMinute: 60,
        passwordResetsPerEmailPerHour: 3,
        passwordResetsPerClientPerHour: 10,
        verificationEmailsPerUserPerHour: 3,
        guestSearchesPerClientPerMinute: 10,
        guestContractsPerClientPerDay: 20,
      },
      payments: LOCAL_SANDBOX_PAYMENTS,
    },
  };
  const { customerId, operatorId } = ids;
  const NO_GATEWAY: PaymentGateway = {
    transaction: () => Promise.reject(new Error('the demo history asks no gateway')),
    transactionsByReference: () => Promise.reject(new Error('the demo history asks no gateway')),
    voidTransaction: () => Promise.reject(new Error('the demo history asks no gateway')),
  };
  const follow = async (invoice: Invoice) => {
    await recordContractAccess(db, customerId, invoice.contractId, clock.now());
    return coupons.ensureActiveCoupon(deps, customerId, invoice);
  };
  const pay = async (invoice: Invoice, paymentMethod: 'PSE' | 'CARD' | 'CASH') => {
    const coupon = await follow(invoice);
    clock.advance(10 * 60_000);
    return sandbox.payInOneStep(deps, {
      userId: customerId,
      invoiceId: invoice.id,
      couponCode: coupon.code,
      paymentMethod,
    });
  };

  // Four days ago: 10000002's invoice paid by card.
  await pay(await unpaidInvoice(db, '10000002', 'current'), 'CARD');

  // Three and a half days ago: 10000003's invoice paid by PSE, reversed by the operator two hours later.
  clock.advance(12 * HOUR);
  const paid = await pay(await unpaidInvoice(db, '10000003', 'current'), 'PSE');
  clock.advance(2 * HOUR);
  // A simulated payment, not the gateway's: nothing to refund there.
  await payments.reverse(
    { ...deps, gateway: NO_GATEWAY },
    {
      operatorId,
      transactionId: paid.transaction.id,
      reason: 'El banco rechazó el débito después de confirmarlo',
    },
  );

  // Three days ago: a 4-hour coupon for 10000004's overdue invoice, left to expire.
  clock.advance(10 * HOUR);
  await follow(await unpaidInvoice(db, '10000004', 'overdue'));
  clock.advance(5 * HOUR);
  await coupons.expireDue(deps);

  // Two days ago: a coupon for 10000005, cancelled by the customer.
  clock.advance(19 * HOUR);
  const cancelled = await follow(await unpaidInvoice(db, '10000005', 'current'));
  clock.advance(HOUR);
  await coupons.cancel(deps, customerId, cancelled.code);

  // An hour ago: the coupon still ACTIVE, for 10000001's invoice.
  clock.set(new Date(now.getTime() - HOUR));
  const active = await unpaidInvoice(db, '10000001', 'current');
  await follow((await findInvoice(db, active.id)) ?? active);
}
