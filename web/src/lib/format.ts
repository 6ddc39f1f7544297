const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** A date-time for people; "—" when absent. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : dateTime.format(d);
}

const day = 86_400;
// Each unit from the distance at which it starts to read well.
const units: [Intl.RelativeTimeFormatUnit, number, number][] = [
  ['year', 365 * day, 365 * day],
  ['month', 30 * day, 45 * day],
  ['day', day, day],
  ['hour', 3600, 3600],
  ['minute', 60, 60],
];

/** How far a time is from now, for people ("in 30 days", "5 minutes ago");
 * "—" when absent. */
export function formatRelative(iso: string | undefined, now: number = Date.now()): string {
  const t = iso ? new Date(iso).getTime() : NaN;
  if (Number.isNaN(t)) return '—';
  const seconds = (t - now) / 1000;
  for (const [unit, size, from] of units) {
    if (Math.abs(seconds) >= from) return relative.format(Math.round(seconds / size), unit);
  }
  return relative.format(0, 'second');
}
