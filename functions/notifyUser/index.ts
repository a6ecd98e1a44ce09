import { app } from '@azure/functions';

import * as notifications from '../../shared/controllers/notification.controller';
import { QUEUES } from '../../shared/models/message.model';
import { poisonQueue, queueConsumer } from '../../shared/queueConsumer';
import { services } from '../../shared/services';

const poison = poisonQueue(QUEUES.notifications);

/** Queue trigger on notifications: stores the user's notification, once per message. */
export const notifyUser = queueConsumer(poison, (message) => notifications.store(services(), message));

app.storageQueue('notifyUser', {
  queueName: QUEUES.notifications,
  connection: 'AzureWebJobsStorage',
  extraOutputs: [poison],
  handler: notifyUser,
});
