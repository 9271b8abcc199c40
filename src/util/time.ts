export function nowIso(): string {
  return new Date().toISOString();
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock formatter of an IANA zone (cached: building one costs more than using it); throws RangeError for an unknown zone. */
export function zoneFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The UTC offset of an IANA zone at an instant (a Date or epoch ms), in minutes east (Asia/Shanghai: 480). */
export function zoneOffsetMinutes(timeZone: string, at: Date | number = new Date()): number {
  const whole = Math.floor((typeof at === 'number' ? at : at.getTime()) / 1000) * 1000;
  const p: Record<string, number> = {};
  for (const part of zoneFormatter(timeZone).formatToParts(new Date(whole))) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  const wall = Date.UTC(p.year ?? 0, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0, p.minute ?? 0, p.second ?? 0);
  return Math.round((wall - whole) / 60_000);
}
