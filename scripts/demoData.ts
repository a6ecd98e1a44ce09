import { createHash } from 'node:crypto';

import type { Knex } from 'knex';

import { newId } from '../shared/models/ids';
import { insertRows } from '../shared/models/insertRows';
import { type InvoiceLine, replaceInvoiceLines } from '../shared/models/invoiceLine.model';
import { hashPassword } from '../shared/models/password';
import { addDays, bogotaDay } from '../shared/models/time';
import { billTotal, demoBillLines, random } from './demoBill';
import { seedDemoHistory } from './demoHistory';

/**
 * The demo data (README, "Quick start"): contracts 10000001–10000050 with an unpaid invoice due in the
 * future and paid history (every seventh one also owes an overdue invoice), contract 10000099
 * with everything paid, an operator and a demo customer. Deterministic and idempotent: rows
 * that exist (by contract number, invoice number, email) are left alone.
 */
export const DEMO_OPERATOR = {
  email: 'operador@epm.com.co',
  password: 'Operador-Cuponeras-2026',
  fullName: 'Operadora de Recaudo EPM',
};
export const DEMO_CUSTOMER = {
  email: 'cliente.demo@example.com',
  password: 'Cuponera-Demo-2026',
  fullName: 'Juan Pablo Restrepo Gómez',
};
export const DEMO_CONTRACTS = { first: 10000001, last: 10000050, allPaid: 10000099 };

const FIRST_NAMES = [
  'Juan',
  'María',
  'Carlos',
  'Luz',
  'Andrés',
  'Ana',
  'Jorge',
  'Paula',
  'Santiago',
  'Valentina',
  'Luis',
  'Diana',
  'Felipe',
  'Camila',
  'Alejandro',
  'Natalia',
  'Mateo',
  'Sara',
  'Julián',
  'Daniela',
];
const SURNAMES = [
  'Restrepo',
  'Gómez',
  'Ospina',
  'Zapata',
  'Londoño',
  'Arango',
  'Jaramillo',
  'Vélez',
  'Mejía',
  'Echeverri',
  'Betancur',
  'Correa',
  'Cardona',
  'Montoya',
  'Álvarez',
  'Henao',
  'Uribe',
  'Posada',
  'Giraldo',
  'Agudelo',
];
const PLACES = [
  { city: 'Medellín', neighbourhood: 'El Poblado' },
  { city: 'Medellín', neighbourhood: 'Laureles' },
  { city: 'Medellín', neighbourhood: 'Belén' },
  { city: 'Medellín', neighbourhood: 'Robledo' },
  { city: 'Medellín', neighbourhood: 'Buenos Aires' },
  { city: 'Envigado', neighbourhood: 'Zúñiga' },
  { city: 'Itagüí', neighbourhood: 'Santa María' },
  { city: 'Bello', neighbourhood: 'Niquía' },
  { city: 'Sabaneta', neighbourhood: 'Las Vegas' },
  { city: 'Rionegro', neighbourhood: 'San Antonio' },
];
const SERVICES = [
  'Energía, Acueducto, Alcantarillado',
  'Energía, Acueducto, Alcantarillado, Gas',
  'Energía, Gas',
  'Energía',
];

const pick = <T>(items: readonly T[], next: () => number): T => items[Math.floor(next() * items.length)] as T;

function periodOf(day: string, monthsBack: number): string {
  const [year, month] = day.split('-').map(Number) as [number, number];
  const index = year * 12 + (month - 1) - monthsBack;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

interface InvoiceSeed {
  period: string;
  issueDate: string;
  dueDate: string;
  amount: number;
  lines: InvoiceLine[];
  status: 'UNPAID' | 'PAID';
}

function invoicesFor(
  contract: { number: number; stratum: number; services: string },
  today: string,
  next: () => number,
  allPaid: boolean,
): InvoiceSeed[] {
  const overdueToo = !allPaid && contract.number % 7 === 0;
  return Array.from({ length: 6 }, (_, monthsBack) => {
    const lines = demoBillLines(contract, monthsBack);
    const issueDate = addDays(today, -5 - 30 * monthsBack);
    const dueDate = monthsBack === 0 ? addDays(today, 12 + Math.floor(next() * 10)) : addDays(issueDate, 20);
    const unpaid = !allPaid && (monthsBack === 0 || (overdueToo && monthsBack === 1));
    const status = unpaid ? 'UNPAID' : 'PAID';
    return { period: periodOf(today, monthsBack), issueDate, dueDate, amount: billTotal(lines), lines, status };
  });
}

/**
 * A demo CUDE, computed as DIAN's annex sets it (SHA-384 of the document's number, date, time,
 * amounts, issuer NIT, buyer document, technical key and environment) with a demo technical key:
 * it has the real form, and DIAN's catalogue knows none of them.
 */
function demoCude(invoiceNumber: string, issueDate: string, amount: number, buyerDocument: string): string {
  const fields = [invoiceNumber, issueDate, '00:00:00-05:00', `${amount}.00`, '01', '0.00', `${amount}.00`];
  fields.push('890904996', buyerDocument, 'clave-tecnica-demo', '2');
  return createHash('sha384').update(fields.join('')).digest('hex');
}

export interface SeedResult {
  contracts: number;
  invoices: number;
  users: number;
}

export async function seedDemoData(
  db: Knex,
  options: { now?: Date; bcryptCost?: number; history?: boolean } = {},
): Promise<SeedResult> {
  const now = options.now ?? new Date();
  const today = bogotaDay(now);
  const result: SeedResult = { contracts: 0, invoices: 0, users: 0 };

  const numbers = [
    ...Array.from({ length: DEMO_CONTRACTS.last - DEMO_CONTRACTS.first + 1 }, (_, i) => DEMO_CONTRACTS.first + i),
    DEMO_CONTRACTS.allPaid,
  ];
  const linesTable = await db.schema.hasTable('invoice_lines');
  // Built in memory and written in a few multi-row statements: one round trip per row made each
  // seeded test file on the T-SQL engine wait 13 s for its demo data.
  await db.transaction(async (tx) => {
    type ContractRow = { id: string; number: string; stratum: number; services: string; document: string };
    const existing = new Map(
      (
        await tx('contracts')
          .whereIn('number', numbers.map(String))
          .select<ContractRow[]>('id', 'number', 'stratum', 'services', 'holder_document_number as document')
      ).map((c) => [String(c.number), c]),
    );
    const contractRows: Record<string, unknown>[] = [];
    const invoiceRows: Record<string, unknown>[] = [];
    const lineSets: Parameters<typeof replaceInvoiceLines>[1] = [];
    const planned: { contract: ContractRow; invoice: InvoiceSeed; number: string }[] = [];
    for (const contractNumber of numbers) {
      const next = random(contractNumber);
      const number = String(contractNumber);
      let contract = existing.get(number);
      if (!contract) {
        const place = pick(PLACES, next);
        const holder = `${pick(FIRST_NAMES, next)} ${pick(SURNAMES, next)} ${pick(SURNAMES, next)}`;
        const documentNumber = String(10_000_000 + Math.floor(next() * 89_999_999));
        const address = `Calle ${1 + Math.floor(next() * 80)} # ${10 + Math.floor(next() * 70)}-${10 + Math.floor(next() * 89)}, ${place.neighbourhood}`;
        contract = {
          id: newId(),
          number,
          stratum: 1 + Math.floor(next() * 6),
          services: pick(SERVICES, next),
          document: documentNumber,
        };
        contractRows.push({
          id: contract.id,
          number,
          holder_name: holder,
          holder_document_type: 'CC',
          holder_document_number: contract.document,
          address,
          city: place.city,
          stratum: contract.stratum,
          services: contract.services,
          created_at: now,
        });
      }
      const bill = { number: contractNumber, stratum: Number(contract.stratum), services: String(contract.services) };
      for (const invoice of invoicesFor(bill, today, next, contractNumber === DEMO_CONTRACTS.allPaid))
        planned.push({ contract, invoice, number: `F${number}${invoice.period.replace('-', '')}` });
    }
    const seededInvoices = new Set<string>();
    const plannedNumbers = planned.map((p) => p.number);
    for (let i = 0; i < plannedNumbers.length; i += 500)
      for (const row of await tx('invoices')
        .whereIn('number', plannedNumbers.slice(i, i + 500))
        .select<{ number: string }[]>('number'))
        seededInvoices.add(String(row.number));
    for (const { contract, invoice, number: invoiceNumber } of planned) {
      if (seededInvoices.has(invoiceNumber)) continue;
      const id = newId();
      invoiceRows.push({
        id,
        contract_id: contract.id,
        number: invoiceNumber,
        period: invoice.period,
        issue_date: invoice.issueDate,
        due_date: invoice.dueDate,
        amount: invoice.amount,
        status: invoice.status,
        paid_at: invoice.status === 'PAID' ? new Date(`${invoice.dueDate}T15:00:00Z`) : null,
        created_at: now,
        updated_at: now,
        ...(linesTable
          ? { cude: demoCude(invoiceNumber, invoice.issueDate, invoice.amount, String(contract.document)) }
          : {}),
      });
      lineSets.push({
        invoice: { id, contractId: contract.id, period: invoice.period },
        lines: invoice.lines,
        hadLines: false,
      });
    }
    await insertRows(tx, 'contracts', contractRows);
    await insertRows(tx, 'invoices', invoiceRows);
    // A schema before migration 0013 (the migrations test seeds old ones) has no lines or CUDE.
    if (linesTable) await replaceInvoiceLines(tx, lineSets);
    result.contracts += contractRows.length;
    result.invoices += invoiceRows.length;
  });

  const users = [
    { ...DEMO_OPERATOR, role: 'operator', documentNumber: '43123456' },
    { ...DEMO_CUSTOMER, role: 'customer', documentNumber: '71234567' },
  ];
  const verifiedColumn = await db.schema.hasColumn('users', 'email_verified_at');
  for (const user of users) {
    if ((await db('users').where({ email: user.email }).first('id')) as unknown) continue;
    await db('users').insert({
      id: newId(),
      email: user.email,
      password_hash: await hashPassword(user.password, options.bcryptCost ?? 10),
      full_name: user.fullName,
      document_type: 'CC',
      document_number: user.documentNumber,
      phone: null,
      role: user.role,
      failed_logins: 0,
      created_at: now,
      updated_at: now,
      // Their addresses are EPM's own demo addresses: verified from the start (once the schema has it).
      ...(verifiedColumn ? { email_verified_at: now } : {}),
    });
    result.users++;
  }
  // The demo customer's history (npm start, db:seed), once: while the customer has no coupon yet.
  const userId = async (email: string) => {
    const user = await db<{ id: string; email: string }>('users').where({ email }).first('id');
    if (!user) throw new Error(`demo user ${email} is missing`);
    return user.id;
  };
  const customerId = await userId(DEMO_CUSTOMER.email);
  const hasHistory = (await db('coupons').where({ user_id: customerId }).first('id')) !== undefined;
  if (options.history && !hasHistory)
    await seedDemoHistory(db, { customerId, operatorId: await userId(DEMO_OPERATOR.email) }, now);
  return result;
}

/**
 * `count` contracts numbered from `firstNumber`, each owing one invoice (period 2026-11, due far
 * ahead, numbered `<invoicePrefix><contract number>`): what the benchmarks and the fault suite
 * pay, on top of the demo data. Returns the contract numbers.
 */
export async function seedUnpaidContracts(
  db: Knex,
  options: { count: number; firstNumber: number; invoicePrefix: string },
): Promise<string[]> {
  const now = new Date();
  const contracts = Array.from({ length: options.count }, (_, i) => ({
    id: newId(),
    number: String(options.firstNumber + i),
    holder_name: 'Cliente de Prueba',
    holder_document_type: 'CC',
    holder_document_number: String(1_000_000 + i),
    address: 'Calle 10 # 43-12, El Poblado',
    city: 'Medellín',
    stratum: 3,
    services: 'Energía',
    created_at: now,
  }));
  // 100 rows × at most 11 columns per statement: under T-SQL's 2,100 parameters and SQLite's 500 UNION terms.
  await db.batchInsert('contracts', contracts, 100);
  await db.batchInsert(
    'invoices',
    contracts.map((contract, i) => ({
      id: newId(),
      contract_id: contract.id,
      number: `${options.invoicePrefix}${contract.number}`,
      period: '2026-11',
      issue_date: '2026-11-20',
      due_date: '2099-12-31',
      amount: 100_000 + i * 10,
      status: 'UNPAID',
      created_at: now,
      updated_at: now,
    })),
    100,
  );
  return contracts.map((contract) => contract.number);
}
