/** Formatting shared by every Spanish (es-CO) text the app renders. */
import { bogotaDateTime } from '../models/time';

/** Pesos as Colombians read them: "$ 187.430". */
export function formatPesos(amount: number): string {
  const digits = Math.abs(Math.round(amount))
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  return `${amount < 0 ? '-' : ''}$ ${digits}`;
}

const MONTHS = [
  'enero',
  'febrero',
  'marzo',
  'abril',
  'mayo',
  'junio',
  'julio',
  'agosto',
  'septiembre',
  'octubre',
  'noviembre',
  'diciembre',
];

/** A calendar day as people write it: "2026-12-17" → "17 de diciembre de 2026". */
export function formatLongDate(day: string): string {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  return `${date} de ${MONTHS[month - 1] ?? ''} de ${year}`;
}

/** An instant as a Colombian date and time: "17 de diciembre de 2026, 04:19 (hora de Colombia)". */
export function formatBogotaTime(instant: Date): string {
  const [day = '', time = ''] = bogotaDateTime(instant).split(' ');
  return `${formatLongDate(day)}, ${time} (hora de Colombia)`;
}

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}
