import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, type Schemas } from '../api';
import { unwrap } from '../problem';

type Environment = Schemas['Environment'];

export const environmentsKey = (project: string) => ['environments', project] as const;

export function useEnvironments(project: string) {
  return useQuery({
    queryKey: environmentsKey(project),
    queryFn: async () =>
      unwrap(await api.GET('/api/v1/projects/{project}/environments', { params: { path: { project } } })).environments,
  });
}

export function useCreateEnvironment(project: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (body: Schemas['CreateEnvironmentRequest']) =>
      unwrap(await api.POST('/api/v1/projects/{project}/environments', { params: { path: { project } }, body })),
    onSettled: () => qc.invalidateQueries({ queryKey: environmentsKey(project) }),
  });
}

/** Renames an environment (its slug stays); the tabs show the new name at
 * once and go back if the server refuses. */
export function useRenameEnvironment(project: string) {
  const qc = useQueryClient();
  const key = environmentsKey(project);
  return useMutation({
    mutationFn: async ({ env, name }: { env: string; name: string }) =>
      unwrap(
        await api.PATCH('/api/v1/projects/{project}/environments/{env}', {
          params: { path: { project, env } },
          body: { name },
        }),
      ),
    onMutate: async ({ env, name }) => {
      await qc.cancelQueries({ queryKey: key });
      const before = qc.getQueryData<Environment[]>(key);
      qc.setQueryData<Environment[]>(key, (list) => list?.map((e) => (e.slug === env ? { ...e, name } : e)));
      return { before };
    },
    onError: (_e, _v, ctx) => qc.setQueryData(key, ctx?.before),
    onSettled: () => qc.invalidateQueries({ queryKey: key }),
  });
}

/** Deletes an environment with its secrets; service tokens lose it from
 * their scope, so their list is refetched too. */
export function useDeleteEnvironment(project: string) {
  const qc = useQueryClient();
  const key = environmentsKey(project);
  return useMutation({
    mutationFn: async (env: string) => {
      const res = await api.DELETE('/api/v1/projects/{project}/environments/{env}', { params: { path: { project, env } } });
      if (!res.response.ok) unwrap(res);
    },
    onMutate: async (env) => {
      await qc.cancelQueries({ queryKey: key });
      const before = qc.getQueryData<Environment[]>(key);
      qc.setQueryData<Environment[]>(key, (list) => list?.filter((e) => e.slug !== env));
      return { before };
    },
    onError: (_e, _v, ctx) => qc.setQueryData(key, ctx?.before),
    onSuccess: (_d, env) => qc.removeQueries({ queryKey: ['secrets', project, env] }),
    onSettled: () => {
      void qc.invalidateQueries({ queryKey: key });
      void qc.invalidateQueries({ queryKey: ['tokens', project] });
    },
  });
}
