import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, render, screen } from '@testing-library/react';
import { createMemoryRouter, RouterProvider, useLocation } from 'react-router';
import { describe, expect, it } from 'vitest';
import { emitUnauthorized } from './auth-events';
import { returnPath, useUnauthorizedRedirect, type ReturnState } from './useUnauthorizedRedirect';

function Where() {
  useUnauthorizedRedirect();
  const loc = useLocation();
  const from = (loc.state as ReturnState | null)?.from;
  return (
    <p>
      at {loc.pathname}
      {from ? ` from ${from.pathname}${from.search}` : ''}
    </p>
  );
}

function setup(path: string) {
  const qc = new QueryClient();
  qc.setQueryData(['secrets', 'shop', 'dev'], { revision: 1, secrets: [] });
  const router = createMemoryRouter([{ path: '*', element: <Where /> }], { initialEntries: [path] });
  render(
    <QueryClientProvider client={qc}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  );
  return { qc, router };
}

describe('useUnauthorizedRedirect', () => {
  it('sends the user to /login, remembering where they were in router state', () => {
    const { qc, router } = setup('/projects/shop/env/dev?q=DB');
    act(() => emitUnauthorized());
    expect(screen.getByText('at /login from /projects/shop/env/dev?q=DB')).toBeInTheDocument();
    expect(router.state.location.search).toBe('');
    expect(qc.getQueryData(['secrets', 'shop', 'dev'])).toBeUndefined();
  });

  it('stays put on public pages', () => {
    setup('/login');
    act(() => emitUnauthorized());
    expect(screen.getByText('at /login')).toBeInTheDocument();
  });
});

describe('returnPath', () => {
  it('returns to the remembered page', () => {
    expect(returnPath({ from: { pathname: '/projects/shop', search: '?a=1', hash: '' } })).toBe('/projects/shop?a=1');
  });
  it('refuses other origins and sign-in loops', () => {
    expect(returnPath({ from: { pathname: '//evil.example', search: '', hash: '' } })).toBe('/projects');
    expect(returnPath({ from: { pathname: 'https://evil.example/', search: '', hash: '' } })).toBe('/projects');
    expect(returnPath({ from: { pathname: '/login', search: '', hash: '' } })).toBe('/projects');
    expect(returnPath(null)).toBe('/projects');
  });
});
