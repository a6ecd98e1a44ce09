import type { InvoiceLine } from '../shared/models/invoiceLine.model';

/**
 * What a demo invoice says: its service lines, from a consumption that varies month to month
 * around the contract's usual, with one month of high use, so that the consumption chart shows
 * something. Prices are of the order of EPM's 2026 tariffs (pesos per kWh or m³); strata 1–3 get
 * a subsidy on subsistence consumption, 5–6 pay a 20 % contribution, as the law sets them.
 */
const TARIFF = { kWh: 912, water: 3_480, sewage: 3_150, gas: 2_960 };
const FIXED = { water: 12_400, sewage: 8_150, gas: 4_380, waste: 27_600, lighting: 7_900 };
const SUBSIDY_SHARE: Record<number, number> = { 1: 0.6, 2: 0.5, 3: 0.15 };
const SUBSISTENCE = { kWh: 130, m3: 11 };
const CONTRIBUTION = 0.2;

/** A small deterministic PRNG (mulberry32) so that every seeded database holds the same data. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The month (counted back from the current one) this contract used much more than usual. */
export const highMonthOf = (contractNumber: number) => contractNumber % 3;

/** Quantities to 3 decimals, as the feed carries them. */
const round3 = (n: number) => Math.round(n * 1000) / 1000;

export function demoBillLines(
  contract: { number: number; stratum: number; services: string },
  monthsBack: number,
): InvoiceLine[] {
  const usual = random(contract.number * 7919);
  const next = random(contract.number * 7919 + monthsBack + 1);
  const high = monthsBack === highMonthOf(contract.number) ? 1.9 : 1;
  const vary = () => (0.85 + next() * 0.3) * high;
  const services = contract.services.toLowerCase();
  const subsidy = SUBSIDY_SHARE[contract.stratum] ?? 0;
  const contribution = contract.stratum >= 5 ? CONTRIBUTION : 0;
  const lines: InvoiceLine[] = [];
  const adjust = (service: InvoiceLine['service'], consumed: number, subsistence: number, tariff: number) => {
    if (subsidy > 0) {
      const amount = -Math.round(Math.min(consumed, subsistence) * tariff * subsidy);
      lines.push({ service, concept: `Subsidio estrato ${contract.stratum}`, unit: null, quantity: null, amount });
    } else if (contribution > 0) {
      const amount = Math.round(consumed * tariff * contribution);
      lines.push({ service, concept: `Contribución estrato ${contract.stratum}`, unit: null, quantity: null, amount });
    }
  };

  if (services.includes('energía')) {
    const kWh = round3((90 + usual() * 140) * vary());
    lines.push({
      service: 'ENERGIA',
      concept: 'Consumo energía',
      unit: 'kWh',
      quantity: kWh,
      amount: Math.round(kWh * TARIFF.kWh),
    });
    adjust('ENERGIA', kWh, SUBSISTENCE.kWh, TARIFF.kWh);
  }
  if (services.includes('acueducto')) {
    const m3 = round3((8 + usual() * 12) * vary());
    lines.push({
      service: 'ACUEDUCTO',
      concept: 'Cargo fijo acueducto',
      unit: null,
      quantity: null,
      amount: FIXED.water,
    });
    lines.push({
      service: 'ACUEDUCTO',
      concept: 'Consumo acueducto',
      unit: 'm3',
      quantity: m3,
      amount: Math.round(m3 * TARIFF.water),
    });
    adjust('ACUEDUCTO', m3, SUBSISTENCE.m3, TARIFF.water);
    if (services.includes('alcantarillado')) {
      lines.push({
        service: 'ALCANTARILLADO',
        concept: 'Cargo fijo alcantarillado',
        unit: null,
        quantity: null,
        amount: FIXED.sewage,
      });
      lines.push({
        service: 'ALCANTARILLADO',
        concept: 'Vertimiento',
        unit: 'm3',
        quantity: m3,
        amount: Math.round(m3 * TARIFF.sewage),
      });
    }
  }
  if (services.includes('gas')) {
    const m3 = round3((6 + usual() * 20) * vary());
    lines.push({ service: 'GAS', concept: 'Cargo fijo gas', unit: null, quantity: null, amount: FIXED.gas });
    lines.push({
      service: 'GAS',
      concept: 'Consumo gas',
      unit: 'm3',
      quantity: m3,
      amount: Math.round(m3 * TARIFF.gas),
    });
  }
  lines.push({ service: 'ASEO', concept: 'Recolección y barrido', unit: null, quantity: null, amount: FIXED.waste });
  lines.push({
    service: 'ALUMBRADO',
    concept: 'Alumbrado público',
    unit: null,
    quantity: null,
    amount: FIXED.lighting,
  });
  return lines;
}

export const billTotal = (lines: InvoiceLine[]) => lines.reduce((sum, line) => sum + line.amount, 0);
