import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './api.gen';
import { emitUnauthorized } from './auth-events';
import { csrfToken, needsCsrf } from './csrf';

export type Schemas = components['schemas'];

const authPaths = ['/api/v1/auth/login', '/api/v1/auth/signup', '/api/v1/auth/refresh'];

/** Adds X-CSRF-Token to every state-changing request. */
export const csrfMiddleware: Middleware = {
  onRequest({ request }) {
    if (needsCsrf(request.method)) {
      const token = csrfToken();
      if (token) request.headers.set('X-CSRF-Token', token);
    }
    return request;
  },
};

type Fetch = (input: Request) => Promise<Response>;

/** Wraps fetch so that a 401 first tries one refresh of the session (shared
 * by concurrent requests) and replays the request; when that fails too, it
 * tells the app the session is gone. */
export function withSessionRefresh(base: () => Fetch, baseUrl: string): Fetch {
  let refreshing: Promise<boolean> | null = null;
  const refresh = (): Promise<boolean> => {
    refreshing ??= base()(
      new Request(`${baseUrl}/api/v1/auth/refresh`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'X-CSRF-Token': csrfToken() },
      }),
    )
      .then((r) => r.ok)
      .catch(() => false)
      .finally(() => {
        refreshing = null;
      });
    return refreshing;
  };

  return async (request) => {
    const isAuth = authPaths.some((p) => new URL(request.url).pathname === p);
    const replay = isAuth ? null : request.clone();
    let response = await base()(request);
    if (response.status !== 401 || replay === null) return response;
    if (await refresh()) {
      if (needsCsrf(replay.method)) replay.headers.set('X-CSRF-Token', csrfToken());
      response = await base()(replay);
    }
    if (response.status === 401) emitUnauthorized();
    return response;
  };
}

/** Creates the typed API client. Tests pass their own fetch. */
export function createApi(options: { baseUrl?: string; fetch?: Fetch } = {}) {
  const baseUrl = options.baseUrl ?? globalThis.location?.origin ?? '';
  const base = () => options.fetch ?? ((r: Request) => globalThis.fetch(r));
  const client = createClient<paths>({
    baseUrl,
    credentials: 'same-origin',
    fetch: withSessionRefresh(base, baseUrl),
  });
  client.use(csrfMiddleware);
  return client;
}

/** The app's one API client. */
export const api = createApi();
export type Api = typeof api;
