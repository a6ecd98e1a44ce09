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

export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
