import { z } from 'zod';

/**
 * Colombia's business day. Times are stored in UTC; days (issue and due dates, the barcode's
 * due date) are Colombian calendar days. Colombia keeps UTC−5 all year (no daylight saving).
 */
const BOGOTA_OFFSET_MS = -5 * 3600_000;

/** The Colombian calendar day (YYYY-MM-DD) of an instant. */
export function bogotaDay(instant: Date): string {
  return new Date(instant.getTime() + BOGOTA_OFFSET_MS).toISOString().slice(0, 10);
}

/** The last millisecond of a Colombian calendar day, as a UTC instant. */
export function endOfBogotaDay(day: string): Date {
  return new Date(Date.parse(`${day}T23:59:59.999Z`) - BOGOTA_OFFSET_MS);
}

/** The Colombian wall-clock date and time of an instant: "2026-12-03 04:19". */
export function bogotaDateTime(instant: Date): string {
  const local = new Date(instant.getTime() + BOGOTA_OFFSET_MS).toISOString();
  return `${local.slice(0, 10)} ${local.slice(11, 16)}`;
}

/** Colombian calendar days, inclusive, as the instants [from, to) a query compares times with. */
export function bogotaDayRange(range: { from?: string; to?: string }): {
  from: Date | undefined;
  to: Date | undefined;
} {
  return {
    from: range.from ? new Date(endOfBogotaDay(range.from).getTime() + 1 - 86_400_000) : undefined,
    to: range.to ? new Date(endOfBogotaDay(range.to).getTime() + 1) : undefined,
  };
}

export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** A calendar day in a query or a file: YYYY-MM-DD, a real date. */
export const calendarDaySchema = z
  .string()
  .max(10, 'Use el formato AAAA-MM-DD.')
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'Use el formato AAAA-MM-DD.')
  .refine((d) => !Number.isNaN(Date.parse(d)), 'Fecha no válida.');

/** The longest `from`–`to` range a history query may ask for. */
export const MAX_RANGE_DAYS = 366;

/** Checks an optional `from`–`to` day range: in order and at most MAX_RANGE_DAYS long. */
export function checkDayRange(range: { from?: string; to?: string }, ctx: z.RefinementCtx): void {
  if (!range.from || !range.to) return;
  if (range.from > range.to)
    ctx.addIssue({ code: 'custom', path: ['from'], message: '"from" debe ser anterior o igual a "to".' });
  else if ((Date.parse(range.to) - Date.parse(range.from)) / 86_400_000 > MAX_RANGE_DAYS) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: `El rango no puede superar ${MAX_RANGE_DAYS} días.` });
  }
}
