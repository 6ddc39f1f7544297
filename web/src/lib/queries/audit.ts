import { useInfiniteQuery } from '@tanstack/react-query';
import { api, type Schemas } from '../api';
import { unwrap } from '../problem';

export type AuditFilters = {
  action?: Schemas['AuditAction'];
  environment?: string;
  actor?: string;
  from?: string;
  to?: string;
};

/** The audit log, newest first, one page at a time ("load more"); data is
 * the events of the pages loaded so far. */
export function useAudit(project: string, filters: AuditFilters) {
  return useInfiniteQuery({
    queryKey: ['audit', project, filters],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) =>
      unwrap(
        await api.GET('/api/v1/projects/{project}/audit', {
          params: { path: { project }, query: { ...filters, cursor: pageParam, limit: 50 } },
        }),
      ),
    getNextPageParam: (last) => last.next_cursor || undefined,
    select: (data) => data.pages.flatMap((p) => p.events),
  });
}
