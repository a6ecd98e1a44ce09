import type { Knex } from 'knex';

import * as initial from './0001_initial';
import * as dbaSchema from './0002_dba_schema';
import * as loginThrottles from './0003_login_throttles';
import * as outboxDelivery from './0004_outbox_delivery';
import * as operatorAudit from './0005_operator_audit';
import * as notificationLinks from './0006_notification_links';
import * as invoiceNotices from './0007_invoice_notices';
import * as billingFeed from './0008_billing_feed_collections';
import * as accounts from './0009_accounts';
import * as collectionIdentity from './0010_collection_identity';
import * as gatewayPayments from './0011_gateway_payments';
import * as guestPayments from './0012_guest_payments';
import * as invoiceLines from './0013_invoice_lines';
import * as timerRuns from './0014_timer_runs';
import * as outboxTraceparent from './0015_outbox_traceparent';
import * as instances from './0016_instances';

export interface Migration {
  name: string;
  up(knex: Knex): Knex.SchemaBuilder;
  down(knex: Knex): Knex.SchemaBuilder;
}

/** Every migration, in the order they apply. A new one is a new file added here. */
export const MIGRATIONS: Migration[] = [
  initial,
  dbaSchema,
  loginThrottles,
  outboxDelivery,
  operatorAudit,
  notificationLinks,
  invoiceNotices,
  billingFeed,
  accounts,
  collectionIdentity,
  gatewayPayments,
  guestPayments,
  invoiceLines,
  timerRuns,
  outboxTraceparent,
  instances,
];
