import { useEffect, useState } from 'react';

/** The current time in ms, refreshed every `everyMs`: keeps "in 3 days"
 * and "5 minutes ago" true while a page stays open, and renders pure. */
export function useNow(everyMs = 60_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(id);
  }, [everyMs]);
  return now;
}
