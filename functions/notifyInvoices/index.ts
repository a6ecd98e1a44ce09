import type { InvocationContext, Timer } from '@azure/functions';

import { config } from '../../shared/config';
import * as invoices from '../../shared/controllers/invoice.controller';
import { services } from '../../shared/services';
import { timerFunction } from '../../shared/timers';

/**
 * Timer (NOTIFY_INVOICES_SCHEDULE, default daily 13:00 UTC = 08:00 in Colombia): to the followers
 * of each contract, once each: a new invoice, a due date within three days, an overdue invoice.
 */
export async function notifyInvoices(_timer: Timer, context: InvocationContext): Promise<void> {
  const sent = await invoices.announceInvoiceDates(services());
  context.log(
    `notifyInvoices: ${sent.INVOICE_ISSUED} new, ${sent.INVOICE_DUE_SOON} due soon, ${sent.INVOICE_OVERDUE} overdue`,
  );
}

timerFunction('notifyInvoices', config().schedules.notifyInvoices, notifyInvoices);
