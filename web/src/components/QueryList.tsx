import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { EmptyState } from './EmptyState';
import { ErrorState } from './ErrorState';
import { Skeleton } from './Skeleton';

/** The four states of a list on screen: a loading skeleton, the error
 * with a retry, the empty state, or the items. */
export function QueryList<T>({
  query,
  loading,
  rows = 3,
  empty,
  children,
}: {
  query: UseQueryResult<T[]>;
  loading: string;
  rows?: number;
  empty: string;
  children: (items: T[]) => ReactNode;
}) {
  if (query.isPending) return <Skeleton rows={rows} label={loading} />;
  if (query.isError) return <ErrorState error={query.error} retry={() => void query.refetch()} />;
  if (query.data.length === 0) return <EmptyState title={empty} />;
  return <>{children(query.data)}</>;
}
