import type * as Identity from '@azure/identity';

import { onFirstUse } from './lazy';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use (cold start, see lazy.ts)
const identity = onFirstUse(() => require('@azure/identity') as typeof Identity);

/**
 * How a client signs in to Entra ID: as the app's managed identity only (in Azure), or through
 * the default chain (managed identity, then environment, Azure CLI…: a developer's `az login`).
 * `clientId` names a user-assigned identity.
 */
export interface CredentialChoice {
  kind: 'managed-identity' | 'default';
  clientId?: string;
}

/** Either kind is a TokenCredential, which every Azure SDK client and tedious take. */
export type AzureCredential = Identity.ManagedIdentityCredential | Identity.DefaultAzureCredential;

const credentials = new Map<string, AzureCredential>();

/**
 * The app's Entra credential for a choice, built on first use and shared by every client (SQL,
 * queues, blobs, ACS): one token cache and one conversation with the identity endpoint, instead
 * of one per client.
 */
export function azureCredential(choice: CredentialChoice): AzureCredential {
  const key = `${choice.kind}:${choice.clientId ?? ''}`;
  let credential = credentials.get(key);
  if (!credential) {
    const { ManagedIdentityCredential, DefaultAzureCredential } = identity();
    credential =
      choice.kind === 'managed-identity'
        ? new ManagedIdentityCredential(choice.clientId ? { clientId: choice.clientId } : {})
        : new DefaultAzureCredential(choice.clientId ? { managedIdentityClientId: choice.clientId } : {});
    credentials.set(key, credential);
  }
  return credential;
}
