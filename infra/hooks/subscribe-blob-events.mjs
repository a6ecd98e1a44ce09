// azd postdeploy hook: subscribes the app's blob-triggered functions (importInvoices on
// `invoice-imports`, importInvoiceLines on `invoice-line-imports`, importCollections on
// `collections`) to the storage account's Event Grid
// system topic, as Flex Consumption requires. The endpoint is the Functions host's blob webhook,
// authorised by the app's blobs_extension system key, which exists only once the code is
// deployed, hence a hook and not Bicep. Idempotent: `create` replaces a subscription of that name.
import { execFileSync } from 'node:child_process';

const run = (command, ...args) => execFileSync(command, args, { encoding: 'utf8' }).trim();
const env = (name) => {
  const value = process.env[name] || run('azd', 'env', 'get-value', name);
  if (!value) throw new Error(`${name} is not set in the azd environment`);
  return value;
};

const group = env('AZURE_RESOURCE_GROUP');
const app = env('AZURE_FUNCTION_APP_NAME');
const topic = env('AZURE_STORAGE_EVENTS_TOPIC');
const key = run(
  'az',
  'functionapp',
  'keys',
  'list',
  '--resource-group',
  group,
  '--name',
  app,
  '--query',
  'systemKeys.blobs_extension',
  '--output',
  'tsv',
);
if (!key) throw new Error('The app has no blobs_extension key yet: deploy the code first (azd deploy).');
const host = run(
  'az',
  'functionapp',
  'show',
  '--resource-group',
  group,
  '--name',
  app,
  '--query',
  'defaultHostName',
  '--output',
  'tsv',
);

for (const [fn, container] of [
  ['importInvoices', 'invoice-imports'],
  ['importInvoiceLines', 'invoice-line-imports'],
  ['importCollections', 'collections'],
]) {
  run(
    'az',
    'eventgrid',
    'system-topic',
    'event-subscription',
    'create',
    '--resource-group',
    group,
    '--system-topic-name',
    topic,
    '--name',
    `${fn}-blobs`,
    '--endpoint-type',
    'webhook',
    '--endpoint',
    `https://${host}/runtime/webhooks/blobs?functionName=Host.Functions.${fn}&code=${key}`,
    '--included-event-types',
    'Microsoft.Storage.BlobCreated',
    '--subject-begins-with',
    `/blobServices/default/containers/${container}/`,
  );
  console.log(`${fn}: subscribed to new blobs in ${container}.`);
}
