import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';

import { azureCredential } from '../../shared/clients/credential.client';

test('when every client asks for the same sign-in, then they share one credential (one token cache)', () => {
  const first = azureCredential({ kind: 'managed-identity', clientId: '00000000-0000-0000-0000-000000000001' });
  expect(first).toBeInstanceOf(ManagedIdentityCredential);
  expect(azureCredential({ kind: 'managed-identity', clientId: '00000000-0000-0000-0000-000000000001' })).toBe(first);
  expect(azureCredential({ kind: 'managed-identity', clientId: '00000000-0000-0000-0000-000000000002' })).not.toBe(
    first,
  );
  const chain = azureCredential({ kind: 'default' });
  expect(chain).toBeInstanceOf(DefaultAzureCredential);
  expect(azureCredential({ kind: 'default' })).toBe(chain);
});
