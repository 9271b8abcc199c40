// When a transcode may run (`media.transcode`). Pure: the clock and the zone are arguments.
// Remuxes are never scheduled: they always run at once.

export type TranscodeMode = 'eager' | 'off-peak' | 'on-demand';

export interface DailyWindow {
  /** HH:MM, local time in `timezone` */
  start: string;
  /** HH:MM; earlier than start = the window crosses midnight */
  end: string;
}

/** Why a transcode is not made now; `until` = when it may be (off-peak), absent = when asked for. */
export interface TranscodeWait {
  for: 'off-peak' | 'on-demand';
  until?: string | undefined;
}

const MINUTE = 60_000;

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Minutes since local midnight in `timeZone`. */
export function localMinutes(now: Date, timeZone: string): number {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  const parts = f.formatToParts(now);
  const h = Number(parts.find((p) => p.type === 'hour')?.value);
  const m = Number(parts.find((p) => p.type === 'minute')?.value);
  return h * 60 + m;
}

export function inWindow(now: Date, window: DailyWindow, timeZone: string): boolean {
  const t = localMinutes(now, timeZone);
  const s = minutesOf(window.start);
  const e = minutesOf(window.end);
  return s < e ? t >= s && t < e : t >= s || t < e;
}

/** The next instant (to the minute) at which the window opens, strictly after `now`. */
export function nextWindowStart(now: Date, window: DailyWindow, timeZone: string): Date {
  const minuteStart = new Date(Math.floor(now.getTime() / MINUTE) * MINUTE);
  const delta = (minutesOf(window.start) - localMinutes(minuteStart, timeZone) + 1440) % 1440 || 1440;
  const at = new Date(minuteStart.getTime() + delta * MINUTE);
  // Across a DST change the local clock jumps: land on the first minute inside the window.
  for (let i = 0; i < 120 && !inWindow(at, window, timeZone); i++) at.setTime(at.getTime() + MINUTE);
  return at;
}

/**
 * Whether a transcode waits, and for what. A person asking to play the item (`requested`) makes
 * it now whatever the mode: someone is waiting for it.
 */
export function transcodeWait(
  mode: TranscodeMode,
  opts: { now: Date; window: DailyWindow; timeZone: string; requested: boolean },
): TranscodeWait | null {
  if (mode === 'eager' || opts.requested) return null;
  if (mode === 'on-demand') return { for: 'on-demand' };
  if (inWindow(opts.now, opts.window, opts.timeZone)) return null;
  return { for: 'off-peak', until: nextWindowStart(opts.now, opts.window, opts.timeZone).toISOString() };
}
