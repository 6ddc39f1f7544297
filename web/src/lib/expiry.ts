/** How a token's expiry is chosen: never, a number of days from now, or
 * the end of a picked day. */
export type ExpiryChoice = 'never' | '7' | '30' | '90' | '365' | 'date';

export const expiryChoices: { value: ExpiryChoice; label: string }[] = [
  { value: 'never', label: 'Never' },
  { value: '7', label: 'In 7 days' },
  { value: '30', label: 'In 30 days' },
  { value: '90', label: 'In 90 days' },
  { value: '365', label: 'In 1 year' },
  { value: 'date', label: 'On a date…' },
];

/** The moment a token should stop working: null for never, undefined when
 * the choice is not usable (no day picked, or a day already over). A
 * picked day lasts until its end, in the person's own time zone. */
export function expiryAt(choice: ExpiryChoice, day: string, now: Date): Date | null | undefined {
  if (choice === 'never') return null;
  if (choice !== 'date') return new Date(now.getTime() + Number(choice) * 86_400_000);
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return undefined;
  const end = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 23, 59, 59, 999);
  return end.getTime() > now.getTime() ? end : undefined;
}

/** A day as an <input type="date"> value, in local time. */
export function dayValue(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
