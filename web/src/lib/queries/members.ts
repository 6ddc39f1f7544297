import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, type Schemas } from '../api';
import { unwrap } from '../problem';
import { projectKey } from './projects';

type Member = Schemas['Member'];
type Invitation = Schemas['Invitation'];

/** What adding an email did: a member joined (201), or the email was
 * invited and joins when it signs up (202). */
export type Added = { kind: 'member'; member: Member } | { kind: 'invitation'; invitation: Invitation };

export const membersKey = (project: string) => ['members', project] as const;
export const invitationsKey = (project: string) => ['invitations', project] as const;

export function useMembers(project: string) {
  return useQuery({
    queryKey: membersKey(project),
    queryFn: async () =>
      unwrap(await api.GET('/api/v1/projects/{project}/members', { params: { path: { project } } })).members,
  });
}

/** Adds an existing account by email. With sign-up by invitation, an email
 * without an account is invited instead (202). */
export function useAddMember(project: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (body: Schemas['AddMemberRequest']): Promise<Added> => {
      const res = await api.POST('/api/v1/projects/{project}/members', { params: { path: { project } }, body });
      const data = unwrap(res);
      return res.response.status === 202
        ? { kind: 'invitation', invitation: data as Invitation }
        : { kind: 'member', member: data as Member };
    },
    onSettled: () => {
      void qc.invalidateQueries({ queryKey: membersKey(project) });
      void qc.invalidateQueries({ queryKey: invitationsKey(project) });
    },
  });
}

/** The emails invited to the project that have not signed up yet. */
export function useInvitations(project: string) {
  return useQuery({
    queryKey: invitationsKey(project),
    queryFn: async () =>
      unwrap(await api.GET('/api/v1/projects/{project}/invitations', { params: { path: { project } } })).invitations,
  });
}

/** Revokes an invitation; the row goes at once and comes back if the
 * server refuses. */
export function useRevokeInvitation(project: string) {
  const qc = useQueryClient();
  const key = invitationsKey(project);
  return useMutation({
    mutationFn: async (email: string) => {
      const res = await api.DELETE('/api/v1/projects/{project}/invitations/{email}', {
        params: { path: { project, email } },
      });
      if (!res.response.ok) unwrap(res);
    },
    onMutate: async (email) => {
      await qc.cancelQueries({ queryKey: key });
      const before = qc.getQueryData<Invitation[]>(key);
      qc.setQueryData<Invitation[]>(key, (list) => list?.filter((i) => i.email !== email));
      return { before };
    },
    onError: (_e, _v, ctx) => qc.setQueryData(key, ctx?.before),
    onSettled: () => qc.invalidateQueries({ queryKey: key }),
  });
}

/** Changes a role. Not optimistic: the server has rules the list cannot
 * see (the last owner stays), and its refusal is shown as it comes. */
export function useUpdateMember(project: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({ userId, role }: { userId: string; role: Schemas['Role'] }) =>
      unwrap(
        await api.PATCH('/api/v1/projects/{project}/members/{user}', {
          params: { path: { project, user: userId } },
          body: { role },
        }),
      ),
    onSuccess: (m) =>
      qc.setQueryData<Member[]>(membersKey(project), (list) => list?.map((x) => (x.user_id === m.user_id ? m : x))),
    onSettled: () => {
      void qc.invalidateQueries({ queryKey: membersKey(project) });
      // The caller's own role may be the one that changed.
      void qc.invalidateQueries({ queryKey: projectKey(project) });
    },
  });
}

/** Removes a member (or, for the caller, leaves the project); the row
 * goes at once and comes back if the server refuses. */
export function useRemoveMember(project: string) {
  const qc = useQueryClient();
  const key = membersKey(project);
  return useMutation({
    mutationFn: async (userId: string) => {
      const res = await api.DELETE('/api/v1/projects/{project}/members/{user}', {
        params: { path: { project, user: userId } },
      });
      if (!res.response.ok) unwrap(res);
    },
    onMutate: async (userId) => {
      await qc.cancelQueries({ queryKey: key });
      const before = qc.getQueryData<Member[]>(key);
      qc.setQueryData<Member[]>(key, (list) => list?.filter((m) => m.user_id !== userId));
      return { before };
    },
    onError: (_e, _v, ctx) => qc.setQueryData(key, ctx?.before),
    onSettled: () => qc.invalidateQueries({ queryKey: key }),
  });
}
