import { z } from 'zod';

import { asDate, type DbOrTx } from '../clients/sql.client';
import { newId } from './ids';

/** A privacy-policy version a person accepted, and when (Ley 1581 de 2012: consent must be provable). */
export interface Consent {
  policyVersion: string;
  acceptedAt: Date;
}

export const consentJsonSchema = z
  .object({ policyVersion: z.string(), acceptedAt: z.string() })
  .meta({ id: 'Consent' });
export type ConsentJson = z.infer<typeof consentJsonSchema>;

export const consentToJson = (c: Consent): ConsentJson => ({
  policyVersion: c.policyVersion,
  acceptedAt: c.acceptedAt.toISOString(),
});

export async function recordConsent(db: DbOrTx, userId: string, policyVersion: string, now: Date): Promise<void> {
  await db('consents').insert({
    id: newId(now.getTime()),
    user_id: userId,
    policy_version: policyVersion,
    accepted_at: now,
  });
}

export async function consentsOf(db: DbOrTx, userId: string): Promise<Consent[]> {
  const rows = await db('consents')
    .where({ user_id: userId })
    .orderBy('accepted_at')
    .select<{ policy_version: string; accepted_at: unknown }[]>('policy_version', 'accepted_at');
  return rows.map((r) => ({ policyVersion: r.policy_version, acceptedAt: asDate(r.accepted_at) }));
}
