/** Formatting shared by every Spanish (es-CO) text the app renders. */
import { bogotaDateTime } from '../models/time';

/** Pesos as Colombians read them: "$ 187.430". */
export function formatPesos(amount: number): string {
  return `$ ${Math.round(amount)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, '.')}`;
}

/** An instant as a Colombian date and time: "2026-12-03 04:19 (hora de Colombia)". */
export function formatBogotaTime(instant: Date): string {
  return `${bogotaDateTime(instant)} (hora de Colombia)`;
}

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}
