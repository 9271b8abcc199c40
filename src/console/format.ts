// Dates in the configured time zone (GET /api/v1/console-config), sizes, and the day boundaries
// of date inputs, all as plain text.
import { ref } from 'vue';
import { zoneOffsetMinutes as zoneOffsetAt } from '../util/time';
import { lang } from './i18n';

export const timezone = ref('Asia/Shanghai');

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(lang.value === 'zh' ? 'zh-CN' : 'en-GB', {
    timeZone: timezone.value,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).format(d);
}

export function formatDay(iso: string | null | undefined): string {
  return iso ? formatTime(iso).slice(0, 10) : '—';
}

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** Offset of the configured zone at an instant, in minutes (the daemon's own function). */
export function zoneOffsetMinutes(at: Date, timeZone: string = timezone.value): number {
  return zoneOffsetAt(timeZone, at);
}

/** `YYYY-MM-DD` (a date input) as the instant that day starts in the configured zone, ISO with offset. */
export function dayStart(day: string, plusDays = 0): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const utcMidnight = Date.UTC(y, m - 1, d + plusDays);
  const offset = zoneOffsetMinutes(new Date(utcMidnight));
  return new Date(utcMidnight - offset * 60_000).toISOString();
}

/** An instant as `YYYY-MM-DD` in the configured zone (for date inputs). */
export function zonedDay(at: Date): string {
  return new Date(at.getTime() + zoneOffsetMinutes(at) * 60_000).toISOString().slice(0, 10);
}

/** `YYYY-MM-DD` as midnight in the configured zone, written with its offset (`…T00:00:00+08:00`). */
export function dayStartWithOffset(day: string): string {
  const offset = zoneOffsetMinutes(new Date(dayStart(day)));
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return `${day}T00:00:00${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
