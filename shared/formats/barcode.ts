import { z } from 'zod';

import { isValidGln } from '../gs1';

/**
 * Payment barcode data in the Colombian bank-collection form of GS1-128 (Asobancaria):
 * (415) biller GLN, (8020) payment reference, (3900) amount in whole pesos, (96) due date.
 */

/** ASCII GS: the FNC1 separator a scanner transmits after a variable-length element string. */
export const GS = '\u001d';

export const barcodeSchema = z
  .object({
    gs1: z
      .string()
      .describe('The element string a scanner transmits: AIs and values, ASCII 29 (GS) after variable-length elements'),
    humanReadable: z.string().describe('The line printed under the bars: each AI in parentheses'),
    elements: z.array(z.object({ ai: z.string(), value: z.string() })),
  })
  .meta({ id: 'Barcode' });
export type Barcode = z.infer<typeof barcodeSchema>;
export type BarcodeElement = Barcode['elements'][number];

// AIs with a predefined length need no FNC1 after them; 8020, 3900 and 96 are variable length.
const FIXED_LENGTH_AIS = new Set(['415']);

export function buildBarcode(input: { gln: string; reference: string; amount: number; dueDate: string }): Barcode {
  if (!isValidGln(input.gln)) throw new Error(`Invalid GLN ${input.gln}: wrong length or check digit`);
  if (!/^[\x21-\x22\x25-\x2F\x30-\x39\x3A-\x3F\x41-\x5A\x5F\x61-\x7A]{1,25}$/.test(input.reference)) {
    throw new Error('AI 8020 takes 1 to 25 GS1 AI encodable characters');
  }
  if (!Number.isInteger(input.amount) || input.amount <= 0 || String(input.amount).length > 15)
    throw new Error('AI 3900 takes a positive whole amount of up to 15 digits');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(input.dueDate)) throw new Error('AI 96 takes a date');
  const elements: BarcodeElement[] = [
    { ai: '415', value: input.gln },
    { ai: '8020', value: input.reference },
    { ai: '3900', value: String(input.amount) },
    { ai: '96', value: input.dueDate.replace(/-/g, '') },
  ];
  const gs1 = elements
    .map(
      (element, i) =>
        element.ai + element.value + (FIXED_LENGTH_AIS.has(element.ai) || i === elements.length - 1 ? '' : GS),
    )
    .join('');
  return { gs1, humanReadable: elements.map((e) => `(${e.ai})${e.value}`).join(''), elements };
}
