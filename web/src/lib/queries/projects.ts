import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, type Schemas } from '../api';
import { unwrap } from '../problem';

type Project = Schemas['Project'];
const listKey = ['projects'] as const;

/** The cache keys of the project list and of one project (with the
 * caller's role). */
export const projectsKey = listKey;
export const projectKey = (slug: string) => ['project', slug] as const;

export function useProjects() {
  return useQuery({
    queryKey: listKey,
    queryFn: async () => {
      const all: Project[] = [];
      let cursor: string | undefined;
      do {
        const page = unwrap(await api.GET('/api/v1/projects', { params: { query: { limit: 200, cursor } } }));
        all.push(...page.projects);
        cursor = page.next_cursor || undefined;
      } while (cursor);
      return all;
    },
  });
}

export function useProject(slug: string) {
  return useQuery({
    queryKey: projectKey(slug),
    queryFn: async () => unwrap(await api.GET('/api/v1/projects/{project}', { params: { path: { project: slug } } })),
  });
}

export function useCreateProject() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (body: Schemas['CreateProjectRequest']) => unwrap(await api.POST('/api/v1/projects', { body })),
    onSettled: () => qc.invalidateQueries({ queryKey: listKey }),
  });
}

/** Renames a project; the list shows the new name at once and goes back if
 * the server refuses. */
export function useRenameProject() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({ slug, name }: { slug: string; name: string }) =>
      unwrap(await api.PATCH('/api/v1/projects/{project}', { params: { path: { project: slug } }, body: { name } })),
    onMutate: async ({ slug, name }) => {
      await qc.cancelQueries({ queryKey: listKey });
      const before = qc.getQueryData<Project[]>(listKey);
      qc.setQueryData<Project[]>(listKey, (list) => list?.map((p) => (p.slug === slug ? { ...p, name } : p)));
      return { before };
    },
    onError: (_e, _v, ctx) => qc.setQueryData(listKey, ctx?.before),
    onSettled: (_d, _e, { slug }) => {
      void qc.invalidateQueries({ queryKey: listKey });
      void qc.invalidateQueries({ queryKey: projectKey(slug) });
    },
  });
}

export function useDeleteProject() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (slug: string) => {
      const res = await api.DELETE('/api/v1/projects/{project}', { params: { path: { project: slug } } });
      if (!res.response.ok) unwrap(res);
    },
    onMutate: async (slug) => {
      await qc.cancelQueries({ queryKey: listKey });
      const before = qc.getQueryData<Project[]>(listKey);
      qc.setQueryData<Project[]>(listKey, (list) => list?.filter((p) => p.slug !== slug));
      return { before };
    },
    onError: (_e, _v, ctx) => qc.setQueryData(listKey, ctx?.before),
    onSettled: () => qc.invalidateQueries({ queryKey: listKey }),
  });
}
