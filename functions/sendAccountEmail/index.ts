import { app } from '@azure/functions';

import * as accountEmails from '../../shared/controllers/accountEmail.controller';
import { QUEUES } from '../../shared/models/message.model';
import { poisonQueue, queueConsumer } from '../../shared/queueConsumer';
import { services } from '../../shared/services';

const poison = poisonQueue(QUEUES.accountEmails);

/** Queue trigger on account-emails: verification, password-reset and password-changed emails, sent once. */
export const sendAccountEmail = queueConsumer(poison, (message) => accountEmails.deliver(services(), message));

app.storageQueue('sendAccountEmail', {
  queueName: QUEUES.accountEmails,
  connection: 'AzureWebJobsStorage',
  extraOutputs: [poison],
  handler: sendAccountEmail,
});
