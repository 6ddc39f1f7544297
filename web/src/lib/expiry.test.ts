import { describe, expect, it } from 'vitest';
import { dayValue, expiryAt } from './expiry';
import { formatRelative } from './format';

const now = new Date(2026, 2, 10, 15, 30); // 10 March 2026, 15:30 local

describe('expiryAt', () => {
  it('is null for never and counts days from now for presets', () => {
    expect(expiryAt('never', '', now)).toBeNull();
    expect(expiryAt('30', '', now)?.getTime()).toBe(now.getTime() + 30 * 86_400_000);
  });

  it('lasts until the end of a picked day, in local time', () => {
    expect(expiryAt('date', '2026-03-10', now)).toEqual(new Date(2026, 2, 10, 23, 59, 59, 999));
    expect(expiryAt('date', '2027-01-02', now)).toEqual(new Date(2027, 0, 2, 23, 59, 59, 999));
  });

  it('refuses a missing or past day', () => {
    expect(expiryAt('date', '', now)).toBeUndefined();
    expect(expiryAt('date', '2026-03-09', now)).toBeUndefined();
    expect(expiryAt('date', '10/03/2026', now)).toBeUndefined();
  });

  it('writes a day as a date input value', () => {
    expect(dayValue(now)).toBe('2026-03-10');
  });
});

describe('formatRelative', () => {
  const at = (seconds: number) => new Date(now.getTime() + seconds * 1000).toISOString();
  it('says how far a time is, in the unit that reads best', () => {
    expect(formatRelative(at(30 * 86_400 - 5), now.getTime())).toBe('in 30 days');
    expect(formatRelative(at(90 * 86_400), now.getTime())).toBe('in 3 months');
    expect(formatRelative(at(-5 * 60), now.getTime())).toBe('5 minutes ago');
    expect(formatRelative(at(-10), now.getTime())).toBe('now');
    expect(formatRelative(undefined, now.getTime())).toBe('—');
  });
});
