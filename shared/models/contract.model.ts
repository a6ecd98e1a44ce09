import { z } from 'zod';

import { asDay, type DbOrTx } from '../clients/sql.client';
import { compiledQuery } from './compiledQuery';

/** A service contract ("contrato"): its number is what customers type to find their invoices. */
export interface Contract {
  id: string;
  number: string;
  holderName: string;
  holderDocumentType: string;
  holderDocumentNumber: string;
  address: string;
  city: string;
  stratum: number;
  services: string;
}

export const contractNumberSchema = z
  .string()
  .max(20, 'El número de contrato tiene de 6 a 12 dígitos, sin letras ni espacios.')
  .trim()
  .regex(/^\d{6,12}$/, 'El número de contrato tiene de 6 a 12 dígitos, sin letras ni espacios.');

/** Each word keeps its first letter: "Juan Restrepo" → "J*** R*******". */
export function maskWords(text: string): string {
  return text
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => [...word][0] + '*'.repeat(Math.max([...word].length - 1, 1)))
    .join(' ');
}

/** Keeps the street type and the neighbourhood; hides the numbers that locate the house. */
/** The holder as every printed page and message shows them: name and address masked. */
export function printedHolder(contract: Contract | undefined): { holderName: string; address: string } {
  return contract
    ? { holderName: maskWords(contract.holderName), address: `${maskAddress(contract.address)}, ${contract.city}` }
    : { holderName: '', address: '' };
}

export function maskAddress(address: string): string {
  const [street = '', ...rest] = address.split(',');
  const streetType = street.trim().split(/\s+/)[0] ?? '';
  return [`${streetType} ** # **-**`, ...rest.map((part) => part.trim())].join(', ');
}

export const contractJsonSchema = z
  .object({
    number: z.string(),
    holderName: z.string().describe('Masked: first letter of each word'),
    address: z.string().describe('Masked: street numbers hidden'),
    city: z.string(),
    stratum: z.number().int().min(1).max(6),
    services: z.string(),
  })
  .meta({ id: 'Contract' });
export type ContractJson = z.infer<typeof contractJsonSchema>;

/** The contract as any caller may see it: holder data masked. */
export function contractToJson(contract: Contract): ContractJson {
  return {
    number: contract.number,
    holderName: maskWords(contract.holderName),
    address: maskAddress(contract.address),
    city: contract.city,
    stratum: contract.stratum,
    services: contract.services,
  };
}

/** The contract as an operator sees it: nothing masked (every such view is audited). */
export const operatorContractJsonSchema = z
  .object({
    number: z.string(),
    holderName: z.string(),
    holderDocumentType: z.string(),
    holderDocumentNumber: z.string(),
    address: z.string(),
    city: z.string(),
    stratum: z.number().int().min(1).max(6),
    services: z.string(),
  })
  .meta({ id: 'OperatorContract' });
export type OperatorContractJson = z.infer<typeof operatorContractJsonSchema>;

export function operatorContractToJson(contract: Contract): OperatorContractJson {
  const { id: _id, ...fields } = contract;
  return fields;
}

export interface ContractRow {
  id: string;
  number: string;
  holder_name: string;
  holder_document_type: string;
  holder_document_number: string;
  address: string;
  city: string;
  stratum: number;
  services: string;
}

export const contractQueries = {
  byNumber: (db: DbOrTx, number: string) => db<ContractRow>('contracts').where({ number }).first(),
  byId: (db: DbOrTx, id: string) => db<ContractRow>('contracts').where({ id }).first(),
};

/** A contract's columns besides its id and number, for queries that join contracts as `c`. */
export const CONTRACT_DETAIL_COLUMNS = [
  'c.holder_name',
  'c.holder_document_type',
  'c.holder_document_number',
  'c.address',
  'c.city',
  'c.stratum',
  'c.services',
] as const;

export const contractFromRow = (row: ContractRow): Contract => ({
  id: row.id,
  number: row.number,
  holderName: row.holder_name,
  holderDocumentType: row.holder_document_type,
  holderDocumentNumber: row.holder_document_number,
  address: row.address,
  city: row.city,
  stratum: Number(row.stratum),
  services: row.services,
});

export async function findContractByNumber(db: DbOrTx, number: string): Promise<Contract | undefined> {
  const row = await contractQueries.byNumber(db, number);
  return row ? contractFromRow(row) : undefined;
}

export async function findContractById(db: DbOrTx, id: string): Promise<Contract | undefined> {
  const row = await contractQueries.byId(db, id);
  return row ? contractFromRow(row) : undefined;
}

/** On every search's path (recordContractAccess) and every invoice email's (hasContractAccess). */
const contractAccessQuery = compiledQuery((db, p: { userId: string; contractId: string }) =>
  db('user_contracts')
    .where({ user_id: p.userId, contract_id: p.contractId })
    .first<{ user_id: string } | undefined>('user_id'),
);

/** Remembers that a user looked up or paid a contract (who may email its invoices). */
export async function recordContractAccess(db: DbOrTx, userId: string, contractId: string, now: Date): Promise<void> {
  if (await contractAccessQuery(db, { userId, contractId })) return;
  try {
    await db('user_contracts').insert({ user_id: userId, contract_id: contractId, first_seen_at: now });
  } catch {
    // A concurrent search recorded it first: the row exists, which is all that matters.
  }
}

/** Who follows a contract (looked it up or paid it): told when someone else pays one of its invoices. */
export async function contractFollowers(db: DbOrTx, contractId: string, limit = 500): Promise<string[]> {
  const rows = await db('user_contracts as uc')
    .join('users as u', 'u.id', 'uc.user_id')
    .where('uc.contract_id', contractId)
    .whereNull('u.deleted_at')
    .orderBy('uc.user_id')
    .limit(limit)
    .select<{ user_id: string }[]>('uc.user_id');
  return rows.map((r) => String(r.user_id).toLowerCase());
}

/** Whether a user looked up or paid a contract: only then may they email its invoices. */
export async function hasContractAccess(db: DbOrTx, userId: string, contractId: string): Promise<boolean> {
  return (await contractAccessQuery(db, { userId, contractId })) !== undefined;
}

// ---- "My contracts": the ones the user looked up or paid, with what they owe ----

export const followedContractJsonSchema = z
  .object({
    contractNumber: z.string(),
    city: z.string(),
    unpaidCount: z.number().int(),
    unpaidTotal: z.number().int().describe('Whole Colombian pesos'),
    nextDueDate: z.string().nullable().describe('The earliest due date among unpaid invoices (YYYY-MM-DD)'),
  })
  .meta({ id: 'FollowedContract' });
export type FollowedContractJson = z.infer<typeof followedContractJsonSchema>;

export const followedContractQueries = {
  /** One grouped query; at most `limit` contracts (a user follows few: searches are bounded per day). */
  ofUser: (db: DbOrTx, userId: string, limit: number) =>
    db('user_contracts as uc')
      .join('contracts as c', 'c.id', 'uc.contract_id')
      .leftJoin('invoices as i', (join) => {
        join.on('i.contract_id', '=', 'c.id').andOnVal('i.status', '=', 'UNPAID');
      })
      .where('uc.user_id', userId)
      .groupBy('c.id', 'c.number', 'c.city')
      .orderBy('c.number')
      .limit(limit)
      .select(
        'c.number',
        'c.city',
        db.raw('COUNT(i.id) as unpaid_count'),
        db.raw('COALESCE(SUM(i.amount), 0) as unpaid_total'),
        db.raw('MIN(i.due_date) as next_due_date'),
      ),
};

export async function followedContracts(db: DbOrTx, userId: string, limit = 500): Promise<FollowedContractJson[]> {
  const rows = (await followedContractQueries.ofUser(db, userId, limit)) as Record<string, unknown>[];
  return rows.map((row) => ({
    contractNumber: String(row.number),
    city: String(row.city),
    unpaidCount: Number(row.unpaid_count),
    unpaidTotal: Number(row.unpaid_total),
    nextDueDate: row.next_due_date === null || row.next_due_date === undefined ? null : asDay(row.next_due_date),
  }));
}

/** A deleted account follows no contract any more ("my contracts" is personal data). */
export async function unfollowAllContracts(db: DbOrTx, userId: string): Promise<number> {
  return db('user_contracts').where({ user_id: userId }).delete();
}
