// One reading of a date or time given on the command line, for every flag that takes one
// (`--since`, `--until`, `--expires`, `--from`, `--to`). Pure.
//   2026-11-20T08:15:00+08:00, …Z   that instant
//   2026-11-20T08:15[:00]            that wall-clock time in the configured zone
//   2026-11-20                       that day in the configured zone: its first instant for a
//                                    start (--since, --from), the first instant of the next day
//                                    for an end (--until, --expires, --to), so the day is included
//   30d, 12h, 90m                    a span from now: back for --since, ahead for the rest
import { SealdockError } from '../errors.js';
import { localToInstant } from '../media/recorded-at.js';

export interface WhenOptions {
  /** the flag, for the error message */
  flag: string;
  /** IANA zone for dates and times without an offset */
  timeZone: string;
  /** a bare date is the start of that day, or the end of it (start of the next) */
  bound: 'start' | 'end';
  /** which way a span like 30d goes from now; null when spans make no sense for the flag */
  span: 'past' | 'future' | null;
  now?: Date;
}

const SPAN = /^(\d{1,5})([dhm])$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const LOCAL = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000 } as const;

/** The instant at which the wall clock in `timeZone` shows these fields; null for a day or time that does not exist. */
function zonedInstant(timeZone: string, Y: number, M: number, D: number, h = 0, m = 0, s = 0, ms = 0): Date | null {
  const check = new Date(Date.UTC(Y, M - 1, D));
  if (check.getUTCFullYear() !== Y || check.getUTCMonth() !== M - 1 || check.getUTCDate() !== D) return null;
  if (h > 23 || m > 59 || s > 59) return null;
  return new Date(localToInstant({ Y, M, D, h, m, s }, timeZone) + ms);
}

export function parseWhen(value: string, o: WhenOptions): Date {
  const now = o.now ?? new Date();
  const v = value.trim();
  const forms = [
    'an instant with offset (2026-11-20T08:15:00+08:00)',
    `a local time (2026-11-20T08:15, in ${o.timeZone})`,
    'a date (2026-11-20)',
    ...(o.span ? ['a span (30d, 12h, 90m)'] : []),
  ];
  const bad = (why = `give ${forms.join(', ')}`) =>
    new SealdockError('USAGE', `${o.flag}: ${JSON.stringify(value)} is not a date or time: ${why}`);

  const span = SPAN.exec(v);
  if (span) {
    if (!o.span) throw bad(`a span makes no sense here; give ${forms.join(', ')}`);
    const ms = Number(span[1]) * UNIT_MS[span[2] as keyof typeof UNIT_MS];
    return new Date(now.getTime() + (o.span === 'past' ? -ms : ms));
  }
  const date = DATE.exec(v);
  if (date) {
    const [y, mo, d] = [Number(date[1]), Number(date[2]), Number(date[3])];
    const start = zonedInstant(o.timeZone, y, mo, d);
    if (!start) throw bad('no such day');
    if (o.bound === 'start') return start;
    const next = new Date(Date.UTC(y, mo - 1, d + 1));
    return zonedInstant(o.timeZone, next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate())!;
  }
  const local = LOCAL.exec(v);
  if (local) {
    const n = local.slice(1, 7).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
    const ms = local[7] ? Math.round(Number(local[7]) * 1000) : 0;
    const at = zonedInstant(o.timeZone, ...n, ms);
    if (!at) throw bad('no such time');
    return at;
  }
  if (INSTANT.test(v)) {
    const at = new Date(v);
    if (Number.isNaN(at.getTime())) throw bad('no such time');
    return at;
  }
  throw bad();
}
