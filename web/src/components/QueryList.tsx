import type { UseInfiniteQueryResult, UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { EmptyState } from './EmptyState';
import { ErrorState } from './ErrorState';
import { Skeleton } from './Skeleton';

type ViewProps<D> = {
  /** A plain or an infinite query. */
  query: UseQueryResult<D> | UseInfiniteQueryResult<D>;
  /** The skeleton's name for screen readers, e.g. "Loading tokens". */
  loading: string;
  /** Skeleton rows: about as many as usually arrive, so nothing jumps. */
  rows?: number;
};

/** A query on screen: a loading skeleton, the error (the server's detail)
 * with a retry, or what children make of its data. */
export function QueryView<D>({ query, loading, rows = 3, children }: ViewProps<D> & { children: (data: D) => ReactNode }) {
  if (query.isPending) return <Skeleton rows={rows} label={loading} />;
  if (query.isError) return <ErrorState error={query.error} retry={() => void query.refetch()} />;
  return <>{children(query.data)}</>;
}

/** The four states of a list on screen: a loading skeleton, the error
 * with a retry, the empty state (a title and an optional hint), or the items. */
export function QueryList<T>({
  empty,
  emptyHint,
  children,
  ...view
}: ViewProps<T[]> & {
  empty: string;
  emptyHint?: ReactNode;
  children: (items: T[]) => ReactNode;
}) {
  return (
    <QueryView {...view}>
      {(items) => (items.length === 0 ? <EmptyState title={empty}>{emptyHint}</EmptyState> : children(items))}
    </QueryView>
  );
}
