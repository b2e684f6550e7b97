/**
 * Agents' business hours as a support manager sets them: when a customer asking for a person is told
 * agents are in, and when they are told agents are back, in Chile (with its daylight-saving changes) and Costa Rica.
 *
 * Every expected instant is derived by hand from the zone's offset on that date, not recomputed with the code
 * under test; the first test checks those offsets (and the weekdays) with Intl alone. Chile 2026: UTC-3 until
 * Saturday 4 April 24:00 local (clocks go back to 23:00: that hour happens twice), UTC-4 from then until
 * Saturday 5 September 24:00 local (clocks go forward to Sunday 01:00: Sunday 00:00–01:00 does not exist).
 * Costa Rica: UTC-6 all year.
 */
import { describe, expect, it } from 'vitest';
import { agentsAvailable, parseHours, type BusinessHours } from '../../src/handoff/hours.ts';

const hours = (spec: string): BusinessHours => {
  const r = parseHours(spec);
  if (!r.ok) throw new Error(r.problem);
  return r.value;
};
const problem = (spec: string): string | undefined => {
  const r = parseHours(spec);
  return r.ok ? undefined : r.problem;
};
/** The answer at an instant, with instants as ISO strings so a failure reads as a time. */
const at = (h: BusinessHours, now: string) => {
  const r = agentsAvailable(h, Date.parse(now));
  if (r.open) return { open: true, closesAt: new Date(r.closesAt).toISOString() };
  return r.reopensAt === undefined ? { open: false } : { open: false, reopensAt: new Date(r.reopensAt).toISOString() };
};

const SANTIAGO = 'America/Santiago mon-fri 09:00-18:00, sat 09:00-13:00';

describe('the calendar these tests assume (checked with Intl only)', () => {
  const offset = (zone: string, iso: string) =>
    new Intl.DateTimeFormat('en', { timeZone: zone, timeZoneName: 'longOffset' }).formatToParts(Date.parse(iso)).find((p) => p.type === 'timeZoneName')?.value;
  const weekday = (date: string) => new Intl.DateTimeFormat('en', { timeZone: 'UTC', weekday: 'short' }).format(Date.parse(`${date}T12:00:00Z`));

  it('Chile is UTC-3 in summer and UTC-4 in winter, changing on the first weekends of April and September 2026', () => {
    expect(offset('America/Santiago', '2026-03-09T13:00:00Z')).toBe('GMT-03:00');
    expect(offset('America/Santiago', '2026-07-10T22:30:00Z')).toBe('GMT-04:00');
    // April: still -3 one second before Sunday 5 April 03:00Z (Saturday 23:59:59 local), then -4 (Saturday 23:00 again).
    expect(offset('America/Santiago', '2026-04-05T02:59:59Z')).toBe('GMT-03:00');
    expect(offset('America/Santiago', '2026-04-05T03:00:00Z')).toBe('GMT-04:00');
    // September: -4 one second before Sunday 6 September 04:00Z (Saturday 23:59:59 local), then -3 (Sunday 01:00).
    expect(offset('America/Santiago', '2026-09-06T03:59:59Z')).toBe('GMT-04:00');
    expect(offset('America/Santiago', '2026-09-06T04:00:00Z')).toBe('GMT-03:00');
  });

  it('Costa Rica is UTC-6 all year', () => {
    for (const iso of ['2026-01-15T12:00:00Z', '2026-04-05T12:00:00Z', '2026-07-10T12:00:00Z', '2026-09-06T12:00:00Z']) expect(offset('America/Costa_Rica', iso)).toBe('GMT-06:00');
  });

  it('the dates fall on the weekdays the tests say', () => {
    expect(['2026-03-09', '2026-03-13', '2026-03-14', '2026-03-15', '2026-03-16', '2026-03-19', '2026-03-20'].map(weekday)).toEqual(['Mon', 'Fri', 'Sat', 'Sun', 'Mon', 'Thu', 'Fri']);
    expect(['2026-04-03', '2026-04-04', '2026-04-05', '2026-04-06'].map(weekday)).toEqual(['Fri', 'Sat', 'Sun', 'Mon']);
    expect(['2026-07-10', '2026-07-11', '2026-07-13'].map(weekday)).toEqual(['Fri', 'Sat', 'Mon']);
    expect(['2026-09-05', '2026-09-06', '2026-09-07'].map(weekday)).toEqual(['Sat', 'Sun', 'Mon']);
  });
});

describe('reading business hours', () => {
  it('reads a time zone and day groups into windows in minutes after local midnight', () => {
    expect(parseHours(SANTIAGO)).toEqual({
      ok: true,
      value: {
        timeZone: 'America/Santiago',
        windows: [
          { days: [1, 2, 3, 4, 5], from: 540, to: 1080 },
          { days: [6], from: 540, to: 780 },
        ],
      },
    });
  });

  it('takes Spanish day names, with or without accents, in any case, and spaces around the dashes', () => {
    expect(hours('america/costa_rica LUN - Vie 08:00 - 17:00, sáb 08:00-12:00, DOM 10:00-12:00')).toEqual({
      timeZone: 'America/Costa_Rica',
      windows: [
        { days: [1, 2, 3, 4, 5], from: 480, to: 1020 },
        { days: [6], from: 480, to: 720 },
        { days: [0], from: 600, to: 720 },
      ],
    });
    expect(hours('America/Santiago mar-mié 09:00-18:00').windows[0]?.days).toEqual([2, 3]);
    expect(hours('America/Santiago mie-jue 09:00-18:00, SAB 09:00-13:00, SÁB 15:00-16:00').windows.map((w) => w.days)).toEqual([[3, 4], [6], [6]]);
  });

  it('wraps a range past Sunday and ends a window at 24:00', () => {
    expect(hours('America/Santiago fri-mon 10:00-14:00').windows[0]?.days).toEqual([5, 6, 0, 1]);
    expect(hours('America/Santiago vie-lun 10:00-14:00').windows[0]?.days).toEqual([5, 6, 0, 1]);
    expect(hours('America/Santiago sat 20:00-24:00').windows[0]).toEqual({ days: [6], from: 1200, to: 1440 });
  });

  it('names each mistake an operator can make', () => {
    expect(problem('Mars/Base mon-fri 09:00-18:00')).toBe('unknown time zone "Mars/Base"');
    expect(problem('America/Santiago mon-fri 9-18')).toBe('bad hours "9-18" (use HH:MM-HH:MM)');
    expect(problem('America/Santiago mon-fri 09:00-18')).toBe('bad hours "09:00-18" (use HH:MM-HH:MM)');
    expect(problem('America/Santiago mon-fri 18:00-09:00')).toMatch(/^window ends before it starts: "18:00-09:00"/);
    expect(problem('America/Santiago mon-fri 09:00-09:00')).toMatch(/^window ends before it starts/);
    expect(problem('America/Santiago mon-fri 24:00-24:00')).toMatch(/^window ends before it starts/);
    expect(problem('America/Santiago mon-fri 09:00-24:30')).toMatch(/^bad hours "09:00-24:30" \(times run from 00:00 to 24:00\)/);
    expect(problem('America/Santiago mon-fri 09:60-18:00')).toMatch(/^bad hours "09:60-18:00"/);
    expect(problem('America/Santiago monday 09:00-18:00')).toMatch(/^unknown days "monday"/);
    expect(problem('America/Santiago mon-fri-sat 09:00-18:00')).toMatch(/^unknown days "mon-fri-sat"/);
    expect(problem('America/Santiago mon-fry 09:00-18:00')).toMatch(/^unknown days "mon-fry"/);
    expect(problem('America/Santiago mon- 09:00-18:00')).toMatch(/^unknown days "mon-"/);
    expect(problem('America/Santiago constructor 09:00-18:00')).toMatch(/^unknown days "constructor"/);
    expect(problem('America/Santiago mon-fri')).toMatch(/^bad group "mon-fri" \(use DAYS HH:MM-HH:MM/);
    expect(problem('America/Santiago mon-fri 09:00-18:00 sat 09:00-13:00')).toMatch(/^bad group "mon-fri 09:00-18:00 sat 09:00-13:00"/);
    expect(problem('America/Santiago mon-fri 09:00-18:00,')).toMatch(/^stray comma/);
    expect(problem('America/Santiago')).toMatch(/^no hours after the time zone/);
    expect(problem('   ')).toMatch(/^no hours given/);
    expect(problem('mon-fri 09:00-18:00')).toMatch(/^starts with days "mon-fri": put the time zone first/);
  });

  it('refuses a spec with no valid group, and a spec with one bad group among good ones', () => {
    expect(problem('America/Santiago ,')).toMatch(/^stray comma/);
    expect(problem('America/Santiago office hours')).toMatch(/^unknown days "office"/);
    expect(problem('America/Santiago mon-fri 09:00-18:00, weekends 10:00-12:00')).toMatch(/^unknown days "weekends"/);
  });
});

describe('are agents in? Santiago', () => {
  const cl = hours(SANTIAGO);

  it('is open on a summer Monday at 10:00 until 18:00 (UTC-3)', () => {
    // Monday 9 March 10:00 -03 = 13:00Z; 18:00 -03 = 21:00Z.
    expect(at(cl, '2026-03-09T13:00:00Z')).toEqual({ open: true, closesAt: '2026-03-09T21:00:00.000Z' });
    // 09:00 sharp is open; 18:00 sharp is closed (the window is 09:00 up to, not including, 18:00).
    expect(at(cl, '2026-03-09T12:00:00Z')).toEqual({ open: true, closesAt: '2026-03-09T21:00:00.000Z' });
    expect(at(cl, '2026-03-09T21:00:00Z')).toEqual({ open: false, reopensAt: '2026-03-10T12:00:00.000Z' });
    // 08:59:59 local: back at 09:00, one second later.
    expect(at(cl, '2026-03-09T11:59:59Z')).toEqual({ open: false, reopensAt: '2026-03-09T12:00:00.000Z' });
  });

  it('after Friday 18:30, agents are back on Saturday morning, or on Monday 09:00 without a Saturday window', () => {
    // Friday 13 March 18:30 -03 = 21:30Z. Saturday 14 March 09:00 -03 = 12:00Z; Monday 16 March 09:00 -03 = 12:00Z.
    expect(at(cl, '2026-03-13T21:30:00Z')).toEqual({ open: false, reopensAt: '2026-03-14T12:00:00.000Z' });
    expect(at(hours('America/Santiago mon-fri 09:00-18:00'), '2026-03-13T21:30:00Z')).toEqual({ open: false, reopensAt: '2026-03-16T12:00:00.000Z' });
  });

  it('keeps the Saturday window: open Saturday 10:00 until 13:00, then closed until Monday', () => {
    // Saturday 14 March 10:00 -03 = 13:00Z, closes 13:00 -03 = 16:00Z; at 13:30 (16:30Z) back Monday 16 March 09:00 -03 = 12:00Z.
    expect(at(cl, '2026-03-14T13:00:00Z')).toEqual({ open: true, closesAt: '2026-03-14T16:00:00.000Z' });
    expect(at(cl, '2026-03-14T16:30:00Z')).toEqual({ open: false, reopensAt: '2026-03-16T12:00:00.000Z' });
  });

  it('in winter (UTC-4), Friday 18:30 reopens Monday 09:00 -04', () => {
    // Friday 10 July 18:30 -04 = 22:30Z; Saturday 11 July 09:00 -04 = 13:00Z; Monday 13 July 09:00 -04 = 13:00Z.
    expect(at(cl, '2026-07-10T22:30:00Z')).toEqual({ open: false, reopensAt: '2026-07-11T13:00:00.000Z' });
    expect(at(hours('America/Santiago lun-vie 09:00-18:00'), '2026-07-10T22:30:00Z')).toEqual({ open: false, reopensAt: '2026-07-13T13:00:00.000Z' });
    // Monday 13 July 10:00 -04 = 14:00Z: open until 18:00 -04 = 22:00Z.
    expect(at(cl, '2026-07-13T14:00:00Z')).toEqual({ open: true, closesAt: '2026-07-13T22:00:00.000Z' });
  });

  it('across the April change (UTC-3 to UTC-4), Monday 09:00 is 13:00Z, not 12:00Z', () => {
    // Friday 3 April 18:30 -03 = 21:30Z: back Saturday 4 April 09:00, still -03 = 12:00Z.
    expect(at(cl, '2026-04-03T21:30:00Z')).toEqual({ open: false, reopensAt: '2026-04-04T12:00:00.000Z' });
    // Saturday 4 April 13:30 -03 = 16:30Z: back Monday 6 April 09:00, now -04 = 13:00Z.
    expect(at(cl, '2026-04-04T16:30:00Z')).toEqual({ open: false, reopensAt: '2026-04-06T13:00:00.000Z' });
    // Monday 6 April 17:59 -04 = 21:59Z: closes 18:00 -04 = 22:00Z.
    expect(at(cl, '2026-04-06T21:59:00Z')).toEqual({ open: true, closesAt: '2026-04-06T22:00:00.000Z' });
  });

  it('a Saturday evening window covers both runs of the repeated hour in April, and ends at midnight', () => {
    const evening = hours('America/Santiago sat 20:00-24:00');
    // Saturday 4 April 20:00 -03 = 23:00Z. 23:30 happens at 02:30Z (-03) and again at 03:30Z (-04);
    // midnight (Sunday 00:00 -04) is 04:00Z: the window lasts five hours.
    expect(at(evening, '2026-04-04T22:59:00Z')).toEqual({ open: false, reopensAt: '2026-04-04T23:00:00.000Z' });
    expect(at(evening, '2026-04-05T02:30:00Z')).toEqual({ open: true, closesAt: '2026-04-05T04:00:00.000Z' });
    expect(at(evening, '2026-04-05T03:30:00Z')).toEqual({ open: true, closesAt: '2026-04-05T04:00:00.000Z' });
    // Then next Saturday, 11 April 20:00 -04 = 12 April 00:00Z.
    expect(at(evening, '2026-04-05T04:00:00Z')).toEqual({ open: false, reopensAt: '2026-04-12T00:00:00.000Z' });
  });

  it('across the September change (UTC-4 to UTC-3), Monday 09:00 is 12:00Z, not 13:00Z', () => {
    // Saturday 5 September 13:30 -04 = 17:30Z: back Monday 7 September 09:00, now -03 = 12:00Z.
    expect(at(cl, '2026-09-05T17:30:00Z')).toEqual({ open: false, reopensAt: '2026-09-07T12:00:00.000Z' });
  });

  it('a Sunday window from 00:00 opens when Sunday begins in September, at 01:00 local, since midnight is skipped', () => {
    const night = hours('America/Santiago dom 00:00-06:00');
    // Saturday 5 September 22:00 -04 = 6 September 02:00Z. Sunday begins at 04:00Z (01:00 -03); 06:00 -03 = 09:00Z.
    expect(at(night, '2026-09-06T02:00:00Z')).toEqual({ open: false, reopensAt: '2026-09-06T04:00:00.000Z' });
    expect(at(night, '2026-09-06T04:30:00Z')).toEqual({ open: true, closesAt: '2026-09-06T09:00:00.000Z' });
  });
});

describe('are agents in? Costa Rica', () => {
  const cr = hours('America/Costa_Rica lun-vie 08:00-17:00, sáb 08:00-12:00');

  it('opens at 08:00 and closes at 17:00, UTC-6 (14:00Z to 23:00Z)', () => {
    // Monday 9 March 07:59 -06 = 13:59Z; 08:00 -06 = 14:00Z; 12:00 -06 = 18:00Z.
    expect(at(cr, '2026-03-09T13:59:00Z')).toEqual({ open: false, reopensAt: '2026-03-09T14:00:00.000Z' });
    expect(at(cr, '2026-03-09T18:00:00Z')).toEqual({ open: true, closesAt: '2026-03-09T23:00:00.000Z' });
  });

  it('after Friday 17:00 is back Saturday 08:00; after Saturday noon, Monday 08:00', () => {
    // Friday 13 March 17:00 -06 = 23:00Z; Saturday 14 March 08:00 -06 = 14:00Z.
    expect(at(cr, '2026-03-13T23:00:00Z')).toEqual({ open: false, reopensAt: '2026-03-14T14:00:00.000Z' });
    // Saturday 14 March 12:30 -06 = 18:30Z; Monday 16 March 08:00 -06 = 14:00Z.
    expect(at(cr, '2026-03-14T18:30:00Z')).toEqual({ open: false, reopensAt: '2026-03-16T14:00:00.000Z' });
  });

  it("does not move when Chile's clocks do", () => {
    // Saturday 4 April 12:30 -06 = 18:30Z (Chile changes that night); Monday 6 April 08:00 -06 = 14:00Z.
    expect(at(cr, '2026-04-04T18:30:00Z')).toEqual({ open: false, reopensAt: '2026-04-06T14:00:00.000Z' });
    // Friday 10 July 17:00 -06 = 23:00Z; Saturday 11 July 08:00 -06 = 14:00Z.
    expect(at(cr, '2026-07-10T23:00:00Z')).toEqual({ open: false, reopensAt: '2026-07-11T14:00:00.000Z' });
  });

  it('a weekend shift fri-mon covers Sunday and skips Tuesday to Thursday', () => {
    const weekend = hours('America/Costa_Rica fri-mon 10:00-14:00');
    // Sunday 15 March 11:00 -06 = 17:00Z, closes 14:00 -06 = 20:00Z.
    expect(at(weekend, '2026-03-15T17:00:00Z')).toEqual({ open: true, closesAt: '2026-03-15T20:00:00.000Z' });
    // Monday 16 March 15:00 -06 = 21:00Z and Thursday 19 March 11:00 -06 = 17:00Z: back Friday 20 March 10:00 -06 = 16:00Z.
    expect(at(weekend, '2026-03-16T21:00:00Z')).toEqual({ open: false, reopensAt: '2026-03-20T16:00:00.000Z' });
    expect(at(weekend, '2026-03-19T17:00:00Z')).toEqual({ open: false, reopensAt: '2026-03-20T16:00:00.000Z' });
  });

  it('treats windows that touch or overlap as one, also across midnight', () => {
    const split = hours('America/Costa_Rica mon 09:00-13:00, mon 13:00-18:00, mon 17:00-20:00');
    // Monday 9 March 12:00 -06 = 18:00Z: open until 20:00 -06 = 10 March 02:00Z, not 13:00.
    expect(at(split, '2026-03-09T18:00:00Z')).toEqual({ open: true, closesAt: '2026-03-10T02:00:00.000Z' });
    const overnight = hours('America/Costa_Rica fri 22:00-24:00, sat 00:00-02:00');
    // Friday 13 March 23:00 -06 = 14 March 05:00Z: open until Saturday 02:00 -06 = 08:00Z, not midnight.
    expect(at(overnight, '2026-03-14T05:00:00Z')).toEqual({ open: true, closesAt: '2026-03-14T08:00:00.000Z' });
  });
});

it('with no windows at all, agents are never in and no return is promised', () => {
  expect(agentsAvailable({ timeZone: 'America/Santiago', windows: [] }, Date.parse('2026-03-09T13:00:00Z'))).toEqual({ open: false });
  expect(agentsAvailable({ timeZone: 'America/Santiago', windows: [{ days: [], from: 540, to: 1080 }] }, Date.parse('2026-03-09T13:00:00Z'))).toEqual({ open: false });
});
