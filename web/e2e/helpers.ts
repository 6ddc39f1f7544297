import type { Page } from '@playwright/test';
import { expect } from './fixtures';

export const password = 'Zebra-Quartz-Lantern-4217';

/** Signs up through the API inside the page's browser context, whose
 * cookies then carry the new session. */
export async function signUp(page: Page, name: string, email: string): Promise<void> {
  const res = await page.request.post('/api/v1/auth/signup', { data: { name, email, password } });
  expect(res.status(), await res.text()).toBe(201);
}

/** Calls the API as the page's signed-in person, the way the web client
 * does (CSRF token, same Origin): stands in for another client (the CLI,
 * a script) acting on the same account. */
export function apiAs(page: Page, baseURL: string | undefined) {
  if (!baseURL) throw new Error('baseURL is not set (COFFER_E2E_URL)');
  const headers = async () => ({
    'X-CSRF-Token': (await page.context().cookies()).find((c) => c.name.endsWith('coffer_csrf'))?.value ?? '',
    Origin: new URL(baseURL).origin,
  });
  const call = async (method: 'POST' | 'PUT' | 'DELETE', path: string, data?: unknown) => {
    const res = await page.request.fetch(path, { method, headers: await headers(), data });
    expect(res.ok(), `${method} ${path}: ${res.status()} ${await res.text()}`).toBe(true);
    return res.status() === 204 ? undefined : (res.json() as Promise<unknown>);
  };
  return {
    post: (path: string, data: unknown) => call('POST', path, data),
    put: (path: string, data: unknown) => call('PUT', path, data),
    delete: (path: string) => call('DELETE', path),
  };
}
