import { useInfiniteQuery, useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { api, type Schemas } from '../api';
import { ApiError, unwrap } from '../problem';

type Secret = Schemas['Secret'];
type Bundle = Schemas['SecretBundle'];
type Where = { project: string; env: string };

export const secretsKey = ({ project, env }: Where) => ['secrets', project, env] as const;

/** Secret values stay in memory only while the table is on screen. */
const valueCacheTime = 30_000;

/** The JSON bundle of an environment (the route can also answer text).
 * fresh asks the server to read its database rather than its cache. */
async function readBundle(where: Where, fresh = false): Promise<Bundle> {
  const data = unwrap(
    await api.GET('/api/v1/projects/{project}/environments/{env}/secrets', {
      params: { path: where },
      headers: fresh ? { 'Cache-Control': 'no-cache' } : undefined,
    }),
  );
  if (typeof data === 'string') throw new ApiError(500, undefined);
  return data;
}

export function useSecrets(where: Where) {
  return useQuery({ queryKey: secretsKey(where), queryFn: () => readBundle(where), gcTime: valueCacheTime });
}

/** Reads an environment past the server's cache into the table's cache
 * entry: for when a live event announced a revision that the answer did
 * not have yet (an instance's cache lags writes made through another). */
export function refetchSecretsFresh(qc: QueryClient, where: Where): Promise<Bundle> {
  return qc.fetchQuery({
    queryKey: secretsKey(where),
    queryFn: () => readBundle(where, true),
    staleTime: 0,
    gcTime: valueCacheTime,
  });
}

function replaceSecret(bundle: Bundle | undefined, next: Secret): Bundle | undefined {
  if (!bundle) return bundle;
  const rest = bundle.secrets.filter((s) => s.key !== next.key);
  return { ...bundle, secrets: [...rest, next].sort((a, b) => a.key.localeCompare(b.key)) };
}

/** Creates or updates a secret; the table shows it at once and goes back
 * if the server refuses. */
export function usePutSecret(where: Where) {
  const qc = useQueryClient();
  const key = secretsKey(where);
  return useMutation({
    mutationFn: async (input: Schemas['SecretInput']) =>
      unwrap(
        await api.PUT('/api/v1/projects/{project}/environments/{env}/secrets/{key}', {
          params: { path: { ...where, key: input.key } },
          body: { value: input.value, comment: input.comment ?? '' },
        }),
      ),
    onMutate: async (input) => {
      await qc.cancelQueries({ queryKey: key });
      const before = qc.getQueryData<Bundle>(key);
      const old = before?.secrets.find((s) => s.key === input.key);
      const optimistic: Secret = {
        key: input.key,
        value: input.value,
        comment: input.comment ?? '',
        version: (old?.version ?? 0) + 1,
        updated_at: new Date().toISOString(),
        updated_by: old?.updated_by ?? { type: 'user', id: '' },
      };
      qc.setQueryData<Bundle>(key, (b) => replaceSecret(b, optimistic));
      return { before };
    },
    onError: (_e, _v, ctx) => qc.setQueryData(key, ctx?.before),
    onSettled: (_d, _e, input) => {
      void qc.invalidateQueries({ queryKey: key });
      void qc.invalidateQueries({ queryKey: [...key, input.key] });
    },
  });
}

export function useDeleteSecret(where: Where) {
  const qc = useQueryClient();
  const key = secretsKey(where);
  return useMutation({
    mutationFn: async (secretKey: string) => {
      const res = await api.DELETE('/api/v1/projects/{project}/environments/{env}/secrets/{key}', {
        params: { path: { ...where, key: secretKey } },
      });
      if (!res.response.ok) unwrap(res);
    },
    onMutate: async (secretKey) => {
      await qc.cancelQueries({ queryKey: key });
      const before = qc.getQueryData<Bundle>(key);
      qc.setQueryData<Bundle>(key, (b) => b && { ...b, secrets: b.secrets.filter((s) => s.key !== secretKey) });
      return { before };
    },
    onError: (_e, _v, ctx) => qc.setQueryData(key, ctx?.before),
    onSettled: () => qc.invalidateQueries({ queryKey: key }),
  });
}

export function useSecretVersions(where: Where, secretKey: string) {
  return useQuery({
    queryKey: [...secretsKey(where), secretKey, 'versions'],
    queryFn: async () =>
      unwrap(
        await api.GET('/api/v1/projects/{project}/environments/{env}/secrets/{key}/versions', {
          params: { path: { ...where, key: secretKey }, query: { limit: 200 } },
        }),
      ).versions,
    gcTime: valueCacheTime,
  });
}

/** The deleted secrets of an environment that can still be restored, by
 * key, one page at a time ("load more"); data is the secrets loaded so far.
 * Under the environment's key, so that a restore or a deletion refreshes it. */
export function useDeletedSecrets(where: Where) {
  return useInfiniteQuery({
    queryKey: [...secretsKey(where), 'deleted'],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) =>
      unwrap(
        await api.GET('/api/v1/projects/{project}/environments/{env}/deleted-secrets', {
          params: { path: where, query: { cursor: pageParam, limit: 100 } },
        }),
      ),
    getNextPageParam: (last) => last.next_cursor || undefined,
    select: (data) => data.pages.flatMap((p) => p.secrets),
  });
}

export function useRollback(where: Where) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({ key, version }: { key: string; version: number }) =>
      unwrap(
        await api.POST('/api/v1/projects/{project}/environments/{env}/secrets/{key}/rollback', {
          params: { path: { ...where, key } },
          body: { version },
        }),
      ),
    onSettled: () => qc.invalidateQueries({ queryKey: secretsKey(where) }),
  });
}

/** Sends a pasted .env file: a dry run reports, a real run applies all of
 * it or nothing. */
export async function importDotenv(
  where: Where,
  dotenv: string,
  opts: { dryRun: boolean; prune: boolean },
): Promise<Schemas['ImportResult']> {
  return unwrap(
    await api.PUT('/api/v1/projects/{project}/environments/{env}/secrets', {
      params: { path: where, query: { dry_run: opts.dryRun, prune: opts.prune } },
      body: dotenv,
      bodySerializer: (b) => b,
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    }),
  );
}

export function useImport(where: Where) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (args: { dotenv: string; dryRun: boolean; prune: boolean }) =>
      importDotenv(where, args.dotenv, args),
    onSuccess: (result) => {
      if (!result.dry_run) void qc.invalidateQueries({ queryKey: secretsKey(where) });
    },
  });
}

/** Fetches the environment as a .env file or as JSON, for a download. */
export async function exportSecrets(where: Where, format: 'dotenv' | 'json'): Promise<string> {
  if (format === 'dotenv') {
    const res = await api.GET('/api/v1/projects/{project}/environments/{env}/secrets', {
      params: { path: where, query: { format: 'dotenv' } },
      parseAs: 'text',
    });
    const text = unwrap(res);
    if (typeof text !== 'string') throw new ApiError(500, undefined);
    return text;
  }
  return JSON.stringify(await readBundle(where), null, 2) + '\n';
}
