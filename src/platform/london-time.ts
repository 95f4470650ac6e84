// Staff type and read times in UK time; the database holds UTC. These turn one into the other
// across the clock changes, without a time zone library.
const LONDON = 'Europe/London';

const partsFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: LONDON,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

export interface LondonParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

export function londonParts(iso: string): LondonParts {
  const parts = partsFormat.formatToParts(new Date(iso));
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value ?? NaN);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute') };
}

/** The UK calendar day an instant falls on, as YYYY-MM-DD. */
export function londonDate(iso: string): string {
  const p = londonParts(iso);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/** How far UK wall-clock time is ahead of UTC at an instant (0 in winter, one hour in summer). */
function offsetMs(utcMs: number): number {
  const p = londonParts(new Date(utcMs).toISOString());
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
  return wall - Math.floor(utcMs / 60_000) * 60_000;
}

/** The UTC instant of a UK wall-clock time, as stored (ISO-8601 with milliseconds). */
export function fromLondon(year: number, month: number, day: number, hour = 0, minute = 0): string {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  // The second pass uses the offset in force at the answer, which differs near a clock change.
  const first = wall - offsetMs(wall);
  return new Date(wall - offsetMs(first)).toISOString();
}

/** Whether year, month and day name a day that exists (30 February does not). */
export function isRealDate(year: number, month: number, day: number): boolean {
  if (![year, month, day].every(Number.isInteger)) return false;
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}
