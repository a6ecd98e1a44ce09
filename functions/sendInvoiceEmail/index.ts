import { app } from '@azure/functions';

import * as emails from '../../shared/controllers/email.controller';
import { QUEUES } from '../../shared/models/message.model';
import { poisonQueue, queueConsumer } from '../../shared/queueConsumer';
import { services } from '../../shared/services';

const poison = poisonQueue(QUEUES.invoiceEmails);

/** Queue trigger on invoice-emails: the invoice, receipt or reversal email with its PDF, sent once. */
export const sendInvoiceEmail = queueConsumer(poison, (message) => emails.deliver(services(), message));

app.storageQueue('sendInvoiceEmail', {
  queueName: QUEUES.invoiceEmails,
  connection: 'AzureWebJobsStorage',
  extraOutputs: [poison],
  handler: sendInvoiceEmail,
});
