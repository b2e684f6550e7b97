/** Agents' business hours: parse "America/Santiago mon-fri 09:00-18:00, sat 09:00-13:00" and say whether agents are in now, or when they are back. */

export type Weekday = 0 | 1 | 2 | 3 | 4 | 5 | 6; // 0 = Sunday
export interface BusinessHours {
  timeZone: string;
  /** Minutes after local midnight, from < to, to <= 1440. */
  windows: ReadonlyArray<{ days: readonly Weekday[]; from: number; to: number }>;
}
export type HoursResult = { ok: true; value: BusinessHours } | { ok: false; problem: string };

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** Far enough to reach next week's first window from anywhere in this week. */
const SEARCH_DAYS = 8;
const EXAMPLE = '"America/Santiago mon-fri 09:00-18:00, sat 09:00-13:00"';

// English and Spanish, as operators in Chile and Costa Rica write them; keys are lower case NFC.
// A Map, not an object: "constructor" must not name a day.
const DAY_NAMES: ReadonlyMap<string, Weekday> = new Map([
  ...(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const).map((n, i) => [n, i as Weekday] as const),
  ...(['dom', 'lun', 'mar', 'mie', 'jue', 'vie', 'sab'] as const).map((n, i) => [n, i as Weekday] as const),
  ['mié', 3],
  ['sáb', 6],
]);

/** "America/Santiago mon-fri 09:00-18:00, sat 09:00-13:00" */
export function parseHours(spec: string): HoursResult {
  const fail = (problem: string): HoursResult => ({ ok: false, problem });
  // "mon - fri 09:00 - 18:00" means the same: spaces around a dash between two days or two times do not separate.
  const text = spec
    .normalize('NFC')
    .trim()
    .replace(/(\p{L})\s*-\s*(?=\p{L})/gu, '$1-')
    .replace(/(\d)\s*-\s*(?=\d)/g, '$1-');
  const [zone = '', rest = ''] = text.split(/\s+(.*)/s);
  if (!zone) return fail(`no hours given (like ${EXAMPLE})`);
  if (daysOf(zone)) return fail(`starts with days "${zone}": put the time zone first (like ${EXAMPLE})`);
  let timeZone: string;
  try {
    // Also canonical: "america/santiago" becomes "America/Santiago".
    timeZone = new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return fail(`unknown time zone "${zone}"`);
  }
  if (!rest.trim()) return fail(`no hours after the time zone (like ${EXAMPLE})`);
  const windows: Array<{ days: Weekday[]; from: number; to: number }> = [];
  for (const group of rest.split(',').map((g) => g.trim())) {
    if (!group) return fail(`stray comma in "${rest}" (groups are DAYS HH:MM-HH:MM, separated by commas)`);
    const [dayText, hoursText, extra] = group.split(/\s+/);
    if (!hoursText || extra !== undefined) return fail(`bad group "${group}" (use DAYS HH:MM-HH:MM, like "mon-fri 09:00-18:00")`);
    const days = daysOf(dayText ?? '');
    if (!days) return fail(`unknown days "${dayText}" (use mon..sun or lun..dom, one day or a range like mon-fri)`);
    const m = /^(\d{1,2}:\d{2})-(\d{1,2}:\d{2})$/.exec(hoursText);
    if (!m) return fail(`bad hours "${hoursText}" (use HH:MM-HH:MM)`);
    const from = minutesOf(m[1] ?? '');
    const to = minutesOf(m[2] ?? '');
    if (from === undefined || to === undefined) return fail(`bad hours "${hoursText}" (times run from 00:00 to 24:00)`);
    // Overnight hours cannot be one window (from < to keeps a window inside its day), so say how to write them.
    if (to <= from) return fail(`window ends before it starts: "${hoursText}" (past midnight, split it: "fri 22:00-24:00, sat 00:00-02:00")`);
    windows.push({ days, from, to });
  }
  return { ok: true, value: { timeZone, windows } };
}

/** "mon", or a range "mon-fri" that may wrap ("fri-mon" is Friday to Monday); "mon-mon" is Monday alone. */
function daysOf(text: string): Weekday[] | undefined {
  const names = text.toLowerCase().split('-');
  if (names.length > 2) return undefined;
  const first = DAY_NAMES.get(names[0] ?? '');
  const last = DAY_NAMES.get(names.at(-1) ?? '');
  if (first === undefined || last === undefined) return undefined;
  const days: Weekday[] = [first];
  for (let d = first; d !== last; ) {
    d = ((d + 1) % 7) as Weekday;
    days.push(d);
  }
  return days;
}

/** "09:00" → 540; "24:00" is the end of the day; anything else past 23:59 is undefined. */
function minutesOf(hhmm: string): number | undefined {
  const [h = NaN, m = NaN] = hhmm.split(':').map(Number);
  if (m > 59 || h * 60 + m > 24 * 60) return undefined;
  return h * 60 + m;
}

/** Open now, or closed and when the next window opens (ms since epoch), searching up to 8 days ahead. With no windows at all: closed with reopensAt undefined. */
export function agentsAvailable(hours: BusinessHours, now: number): { open: true; closesAt: number } | { open: false; reopensAt?: number } {
  const { timeZone } = hours;
  const today = Math.floor(wallClock(timeZone, now) / DAY);
  // Every window from today's local date on, as instants: the offset can differ from day to day.
  const spans: Array<[start: number, end: number]> = [];
  for (let date = today; date <= today + SEARCH_DAYS; date++) {
    const weekday = ((((date + 4) % 7) + 7) % 7) as Weekday; // day 0 of the epoch was a Thursday
    for (const w of hours.windows) {
      if (!w.days.includes(weekday)) continue;
      const start = instantOf(timeZone, date * DAY + w.from * MINUTE);
      const end = instantOf(timeZone, date * DAY + w.to * MINUTE);
      // A window inside the hour skipped when clocks go forward does not happen.
      if (start < end) spans.push([start, end]);
    }
  }
  spans.sort((a, b) => a[0] - b[0]);
  // Windows that touch or overlap are one stretch, also across midnight ("fri 22:00-24:00, sat 00:00-02:00"),
  // so a customer is not told agents leave at a time they in fact stay on.
  const stretches: Array<[start: number, end: number]> = [];
  for (const [start, end] of spans) {
    const last = stretches.at(-1);
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else stretches.push([start, end]);
  }
  for (const [start, end] of stretches) {
    if (end <= now) continue;
    return start <= now ? { open: true, closesAt: end } : { open: false, reopensAt: start };
  }
  return { open: false };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's wall clock at an instant, written as if it were UTC (ms): wall clock minus instant is the zone's offset then. */
export function wallClock(timeZone: string, at: number): number {
  let format = formatters.get(timeZone);
  if (!format) {
    // h23: some engines write midnight as 24:00 with hour12: false.
    format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, format);
  }
  const parts = format.formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  const ms = ((at % 1000) + 1000) % 1000;
  return Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second')) + ms;
}

const offsetAt = (timeZone: string, at: number): number => wallClock(timeZone, at) - at;

/**
 * The instant a wall-clock time names in the zone. Guess with the offset in force a day earlier, re-read
 * the offset at the guess, adjust and re-read (zones change offset at most once in a couple of days).
 * In the hour repeated when clocks go back, the first occurrence; in the hour skipped when they go forward,
 * the time read with the offset from before the jump, so 00:30 becomes 01:30 (Temporal's "compatible").
 */
function instantOf(timeZone: string, wall: number): number {
  const guess = wall - offsetAt(timeZone, wall - DAY);
  const readsBack = (at: number) => wallClock(timeZone, at) === wall;
  if (readsBack(guess)) return guess;
  const adjusted = wall - offsetAt(timeZone, guess);
  return readsBack(adjusted) ? adjusted : guess;
}
