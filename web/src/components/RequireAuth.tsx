import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { ApiError } from '../lib/problem';
import { useMe } from '../lib/queries/me';
import type { ReturnState } from '../lib/useUnauthorizedRedirect';
import { ErrorState } from './ErrorState';
import { Skeleton } from './Skeleton';

/** Renders its children for a signed-in user; sends anyone else to sign in
 * and back here afterwards. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) return <Skeleton rows={4} label="Checking your session" />;
  if (me.error instanceof ApiError && me.error.status === 401) {
    const { pathname, search, hash } = location;
    const state: ReturnState = { from: { pathname, search, hash } };
    return <Navigate to="/login" replace state={state} />;
  }
  if (me.isError) return <ErrorState error={me.error} retry={() => void me.refetch()} />;
  return children;
}
