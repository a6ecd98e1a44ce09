import { randomInt } from 'node:crypto';

import { collectionFileText } from '../shared/formats/asobancaria';
import { findAnyCouponByCode } from '../shared/models/coupon.model';
import { bogotaDay } from '../shared/models/time';
import { cliServices, runCli } from './cli';

/**
 * npm run collections:sample -- CODE [CODE…] > recaudo.txt: an Asobancaria 2001 file in which a
 * bank collected the given coupons (as printed, spaces allowed) at their amounts today, for demos
 * and acceptance tests; banks send the real ones. Bank 007, one batch, controls computed.
 */
async function main(): Promise<number> {
  const codes = process.argv
    .slice(2)
    .join(' ')
    .replace(/[^\d ]/g, '')
    .replace(/(\d{4}) (?=\d{4})/g, '$1')
    .split(/\s+/)
    .filter(Boolean);
  if (codes.length === 0) {
    console.error('Uso: npm run collections:sample -- CÓDIGO_DE_CUPÓN [CÓDIGO…] > recaudo.txt');
    return 2;
  }
  const app = await cliServices();
  const details = [];
  for (const code of codes) {
    const coupon = await findAnyCouponByCode(app.db, code);
    if (!coupon) {
      console.error(`El cupón ${code} no existe en esta base de datos.`);
      return 1;
    }
    // A bank's authorization names the payment on its collection day: two sample files of one day differ.
    details.push({
      reference: coupon.code,
      amountCents: coupon.amount * 100,
      authorization: String(randomInt(1, 1e6)),
    });
  }
  const today = bogotaDay(app.clock.now());
  process.stdout.write(
    collectionFileText({ header: { collectionDate: today, bankCode: '007' }, batches: [{ details }] }),
  );
  return 0;
}

runCli(main);
