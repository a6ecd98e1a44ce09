import { enabledFunctions } from '../../local/host';

// The local host honours the Functions host's per-function switch (AzureWebJobs.<name>.Disabled),
// so one instance can serve HTTP while another consumes the queues, as in Azure.
const functions = ['payInvoice', 'emailInvoice', 'sendNotification', 'expireCoupons'].map((name) => ({
  metadata: { name },
}));
const names = (env: NodeJS.ProcessEnv) => enabledFunctions(functions, env).map((fn) => fn.metadata.name);

test('when no function is disabled, then every registered function runs', () => {
  expect(names({})).toEqual(['payInvoice', 'emailInvoice', 'sendNotification', 'expireCoupons']);
});

test('when AzureWebJobs.<name>.Disabled is true or 1 (any case, spaces around), then only that function is left out', () => {
  expect(names({ 'AzureWebJobs.emailInvoice.Disabled': 'true', 'AzureWebJobs.expireCoupons.Disabled': ' 1 ' })).toEqual(
    ['payInvoice', 'sendNotification'],
  );
  expect(names({ 'AzureWebJobs.payInvoice.Disabled': 'TRUE' })).toEqual([
    'emailInvoice',
    'sendNotification',
    'expireCoupons',
  ]);
});

test('when the setting names the function in another case, then it is disabled too (the host reads settings without regard to case)', () => {
  expect(names({ 'azurewebjobs.EMAILINVOICE.disabled': 'true' })).toEqual([
    'payInvoice',
    'sendNotification',
    'expireCoupons',
  ]);
});

test('when the setting is false, empty, or names no registered function, then every function still runs', () => {
  expect(
    names({
      'AzureWebJobs.emailInvoice.Disabled': 'false',
      'AzureWebJobs.sendNotification.Disabled': '',
      'AzureWebJobs.payInvoices.Disabled': 'true',
      AzureWebJobsStorage: 'true',
    }),
  ).toEqual(['payInvoice', 'emailInvoice', 'sendNotification', 'expireCoupons']);
});
