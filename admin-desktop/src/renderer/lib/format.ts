import { formatMoney, type Money } from '@vitrine/shared';

export function money(value: Money | null | undefined): string {
  if (!value) return '—';
  try {
    return formatMoney(value);
  } catch {
    return `${value.amount} ${value.currency.toUpperCase()} (minor units)`;
  }
}

export function bytes(value: number): string {
  if (value < 1024) return `${value} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let size = value / 1024;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit += 1;
  }
  return `${size.toFixed(size < 10 ? 1 : 0)} ${units[unit]}`;
}

export function dateTime(value: string | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function percent(sent: number, total: number): number {
  if (total <= 0) return 100;
  return Math.min(100, Math.floor((sent / total) * 100));
}
