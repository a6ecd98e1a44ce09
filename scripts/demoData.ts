import type { Knex } from 'knex';

import { newId } from '../shared/models/ids';
import { hashPassword } from '../shared/models/password';
import { addDays, bogotaDay } from '../shared/models/time';
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

/** A small deterministic PRNG (mulberry32) so that every seeded database holds the same data. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
  status: 'UNPAID' | 'PAID';
}

function invoicesFor(contractNumber: number, today: string, next: () => number, allPaid: boolean): InvoiceSeed[] {
  const base = 40_000 + Math.floor(next() * 36) * 10_000;
  const overdueToo = !allPaid && contractNumber % 7 === 0;
  return Array.from({ length: 6 }, (_, monthsBack) => {
    const amount = base + Math.floor(next() * 4_000) * 10;
    const issueDate = addDays(today, -5 - 30 * monthsBack);
    const dueDate = monthsBack === 0 ? addDays(today, 12 + Math.floor(next() * 10)) : addDays(issueDate, 20);
    const unpaid = !allPaid && (monthsBack === 0 || (overdueToo && monthsBack === 1));
    return { period: periodOf(today, monthsBack), issueDate, dueDate, amount, status: unpaid ? 'UNPAID' : 'PAID' };
  });
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
  for (const contractNumber of numbers) {
    const next = random(contractNumber);
    const number = String(contractNumber);
    await db.transaction(async (tx) => {
      let contract = await tx<{ id: string; number: string }>('contracts').where({ number }).first('id');
      if (!contract) {
        const place = pick(PLACES, next);
        const holder = `${pick(FIRST_NAMES, next)} ${pick(SURNAMES, next)} ${pick(SURNAMES, next)}`;
        contract = { id: newId() };
        await tx('contracts').insert({
          id: contract.id,
          number,
          holder_name: holder,
          holder_document_type: 'CC',
          holder_document_number: String(10_000_000 + Math.floor(next() * 89_999_999)),
          address: `Calle ${1 + Math.floor(next() * 80)} # ${10 + Math.floor(next() * 70)}-${10 + Math.floor(next() * 89)}, ${place.neighbourhood}`,
          city: place.city,
          stratum: 1 + Math.floor(next() * 6),
          services: pick(SERVICES, next),
          created_at: now,
        });
        result.contracts++;
      }
      for (const invoice of invoicesFor(contractNumber, today, next, contractNumber === DEMO_CONTRACTS.allPaid)) {
        const invoiceNumber = `F${number}${invoice.period.replace('-', '')}`;
        if ((await tx('invoices').where({ number: invoiceNumber }).first('id')) as unknown) continue;
        await tx('invoices').insert({
          id: newId(),
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
        });
        result.invoices++;
      }
    });
  }

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
