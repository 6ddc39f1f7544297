import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, type Schemas } from '../api';
import { csrfToken } from '../csrf';
import { ApiError, unwrap } from '../problem';

export const meKey = ['me'] as const;

/** The signed-in user; a 401 means nobody is signed in (no retries).
 * Without the CSRF cookie there is no session, so it does not even ask. */
export function useMe() {
  return useQuery({
    queryKey: meKey,
    queryFn: async () => {
      if (!csrfToken()) throw new ApiError(401, undefined);
      return unwrap(await api.GET('/api/v1/me'));
    },
    retry: (count, err) => !(err instanceof ApiError && err.status < 500) && count < 2,
    staleTime: 60_000,
  });
}

/** Whether the server has any account yet, and how sign-up works. */
export function useAuthStatus() {
  return useQuery({
    queryKey: ['auth-status'],
    queryFn: async () => unwrap(await api.GET('/api/v1/auth/status')),
    staleTime: 60_000,
  });
}

export function useLogin() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (body: Schemas['LoginRequest']) => unwrap(await api.POST('/api/v1/auth/login', { body })),
    onSuccess: (session) => qc.setQueryData(meKey, session.user),
  });
}

export function useSignup() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (body: Schemas['SignupRequest']) => unwrap(await api.POST('/api/v1/auth/signup', { body })),
    onSuccess: (session) => {
      qc.setQueryData(meKey, session.user);
      // The server has an account now: sign-in no longer leads to set-up.
      qc.setQueryData(['auth-status'], (s: Schemas['AuthStatus'] | undefined) => s && { ...s, has_users: true });
    },
  });
}

/** Signs out and forgets every cached response (secret values included). */
export function useLogout() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      const res = await api.POST('/api/v1/auth/logout');
      if (!res.response.ok && res.response.status !== 401) unwrap(res);
    },
    onSettled: () => qc.clear(),
  });
}

export function useUpdateMe() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (body: Schemas['UpdateMeRequest']) => unwrap(await api.PATCH('/api/v1/me', { body })),
    onSuccess: (user) => qc.setQueryData(meKey, user),
  });
}

export function useDeleteMe() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (password: string) => {
      const res = await api.DELETE('/api/v1/me', { body: { password } });
      if (!res.response.ok) unwrap(res);
    },
    onSuccess: () => qc.clear(),
  });
}

export async function exportMe(): Promise<Schemas['PersonalData']> {
  return unwrap(await api.GET('/api/v1/me/export'));
}

export function useSessions() {
  return useQuery({
    queryKey: ['sessions'],
    queryFn: async () => unwrap(await api.GET('/api/v1/me/sessions')).sessions,
  });
}

export function useRevokeSession() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (id: string) => {
      const res = await api.DELETE('/api/v1/me/sessions/{session}', { params: { path: { session: id } } });
      if (!res.response.ok) unwrap(res);
    },
    onSettled: () => qc.invalidateQueries({ queryKey: ['sessions'] }),
  });
}

export function usePersonalTokens() {
  return useQuery({
    queryKey: ['personal-tokens'],
    queryFn: async () => unwrap(await api.GET('/api/v1/me/tokens')).tokens,
  });
}

export function useCreatePersonalToken() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (body: Schemas['CreatePersonalTokenRequest']) =>
      unwrap(await api.POST('/api/v1/me/tokens', { body })),
    onSettled: () => qc.invalidateQueries({ queryKey: ['personal-tokens'] }),
  });
}

export function useRevokePersonalToken() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (id: string) => {
      const res = await api.DELETE('/api/v1/me/tokens/{token}', { params: { path: { token: id } } });
      if (!res.response.ok) unwrap(res);
    },
    onSettled: () => qc.invalidateQueries({ queryKey: ['personal-tokens'] }),
  });
}
