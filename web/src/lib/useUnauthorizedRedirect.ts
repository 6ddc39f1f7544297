import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useLocation, useNavigate, type Location } from 'react-router';
import { onUnauthorized } from './auth-events';

/** Where the sign-in page sends the user back to, kept in router state
 * (never in storage or the URL). */
export type ReturnState = { from?: Pick<Location, 'pathname' | 'search' | 'hash'> };

const publicPaths = ['/login', '/signup', '/setup', '/privacy'];

/** When the API says the session is gone, forget cached data (secret values
 * included) and go to the sign-in page, remembering where the user was. */
export function useUnauthorizedRedirect(): void {
  const navigate = useNavigate();
  const location = useLocation();
  const qc = useQueryClient();
  useEffect(
    () =>
      onUnauthorized(() => {
        if (publicPaths.includes(location.pathname)) return;
        qc.clear();
        const { pathname, search, hash } = location;
        navigate('/login', { replace: true, state: { from: { pathname, search, hash } } satisfies ReturnState });
      }),
    [navigate, location, qc],
  );
}

/** The path to return to after sign-in. Only same-app paths are accepted. */
export function returnPath(state: unknown): string {
  const from = (state as ReturnState | null)?.from;
  if (!from || typeof from.pathname !== 'string' || !from.pathname.startsWith('/') || from.pathname.startsWith('//')) {
    return '/projects';
  }
  if (publicPaths.includes(from.pathname)) return '/projects';
  return from.pathname + (from.search ?? '') + (from.hash ?? '');
}
