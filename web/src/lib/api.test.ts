import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApi } from './api';
import { onUnauthorized } from './auth-events';
import { unwrap } from './problem';

const base = 'http://coffer.test';
const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

function recorder(...responses: Response[]) {
  const seen: Request[] = [];
  const fetch = vi.fn(async (r: Request) => {
    seen.push(r);
    return responses.shift() ?? json(500, {});
  });
  return { seen, fetch };
}

beforeEach(() => {
  document.cookie = 'coffer_csrf=tok-123; path=/';
});
afterEach(() => {
  document.cookie = 'coffer_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/';
});

describe('API client', () => {
  it('sends the CSRF cookie as X-CSRF-Token on every state change', async () => {
    const { seen, fetch } = recorder(json(201, {}), json(200, {}), new Response(null, { status: 204 }), json(200, {}), json(200, {}));
    const api = createApi({ baseUrl: base, fetch });
    await api.POST('/api/v1/projects', { body: { slug: 'shop', name: 'Shop' } });
    await api.PATCH('/api/v1/projects/{project}', { params: { path: { project: 'shop' } }, body: { name: 'S' } });
    await api.DELETE('/api/v1/projects/{project}', { params: { path: { project: 'shop' } } });
    await api.PUT('/api/v1/projects/{project}/environments/{env}/secrets/{key}', {
      params: { path: { project: 'shop', env: 'dev', key: 'A' } },
      body: { value: 'v' },
    });
    await api.GET('/api/v1/projects');
    expect(seen.map((r) => [r.method, r.headers.get('X-CSRF-Token')])).toEqual([
      ['POST', 'tok-123'],
      ['PATCH', 'tok-123'],
      ['DELETE', 'tok-123'],
      ['PUT', 'tok-123'],
      ['GET', null],
    ]);
  });

  it('refreshes the session once on a 401 and replays the request', async () => {
    const { seen, fetch } = recorder(json(401, {}), json(200, {}), json(201, { slug: 'shop' }));
    const api = createApi({ baseUrl: base, fetch });
    const res = await api.POST('/api/v1/projects', { body: { slug: 'shop', name: 'Shop' } });
    expect(res.response.status).toBe(201);
    expect(seen.map((r) => `${r.method} ${new URL(r.url).pathname}`)).toEqual([
      'POST /api/v1/projects',
      'POST /api/v1/auth/refresh',
      'POST /api/v1/projects',
    ]);
    expect(seen[1]?.headers.get('X-CSRF-Token')).toBe('tok-123');
    expect(await seen[2]?.text()).toBe('{"slug":"shop","name":"Shop"}');
  });

  it('reports a lost session when the refresh fails too', async () => {
    const lost = vi.fn();
    const off = onUnauthorized(lost);
    const problem = { type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'Sign in again.', code: 'unauthorized', request_id: 'r1' };
    const { fetch } = recorder(json(401, problem), json(401, problem));
    const api = createApi({ baseUrl: base, fetch });
    const res = await api.GET('/api/v1/me');
    off();
    expect(lost).toHaveBeenCalledOnce();
    expect(() => unwrap(res)).toThrow('Sign in again.');
  });

  it('does not try to refresh a failed sign-in', async () => {
    const lost = vi.fn();
    const off = onUnauthorized(lost);
    const { seen, fetch } = recorder(json(401, {}));
    await createApi({ baseUrl: base, fetch }).POST('/api/v1/auth/login', { body: { email: 'a@b.c', password: 'x' } });
    off();
    expect(seen).toHaveLength(1);
    expect(lost).not.toHaveBeenCalled();
  });
});
