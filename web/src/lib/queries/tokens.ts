import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, type Schemas } from '../api';
import { unwrap } from '../problem';

type Token = Schemas['ServiceToken'];
const key = (project: string) => ['tokens', project] as const;

export function useServiceTokens(project: string) {
  return useQuery({
    queryKey: key(project),
    queryFn: async () =>
      unwrap(await api.GET('/api/v1/projects/{project}/tokens', { params: { path: { project } } })).tokens,
  });
}

export function useCreateServiceToken(project: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (body: Schemas['CreateServiceTokenRequest']) =>
      unwrap(await api.POST('/api/v1/projects/{project}/tokens', { params: { path: { project } }, body })),
    onSettled: () => qc.invalidateQueries({ queryKey: key(project) }),
  });
}

export function useRevokeServiceToken(project: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (id: string) => {
      const res = await api.DELETE('/api/v1/projects/{project}/tokens/{token}', {
        params: { path: { project, token: id } },
      });
      if (!res.response.ok) unwrap(res);
    },
    onMutate: async (id) => {
      await qc.cancelQueries({ queryKey: key(project) });
      const before = qc.getQueryData<Token[]>(key(project));
      qc.setQueryData<Token[]>(key(project), (list) => list?.filter((t) => t.id !== id));
      return { before };
    },
    onError: (_e, _v, ctx) => qc.setQueryData(key(project), ctx?.before),
    onSettled: () => qc.invalidateQueries({ queryKey: key(project) }),
  });
}
