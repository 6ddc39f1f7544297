import { QueryClient } from '@tanstack/react-query';
import { act, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Schemas } from '../lib/api';
import { useEnvironments } from '../lib/queries/environments';
import { useSecrets } from '../lib/queries/secrets';
import { useLiveFeed } from '../lib/useLiveFeed';
import { renderWithProviders } from '../test/render';
import { LiveIndicator } from './LiveIndicator';

/** The browser's WebSocket, as far as the feed uses it. */
class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: unknown[] = [];
  onopen: (() => void) | null = null;
  onclose: ((e: { code: number }) => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  receive(msg: unknown) {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  drop(code: number) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

const env = (slug: string, revision: number): Schemas['Environment'] => ({
  id: `e-${slug}`,
  slug,
  name: slug,
  revision,
  created_at: '',
  updated_at: '',
});
const secret = (key: string, version: number): Schemas['Secret'] => ({
  key,
  value: 'v',
  version,
  comment: '',
  updated_at: '2026-01-01T00:00:00Z',
  updated_by: { type: 'user', id: 'u2' },
});

function Harness({ envs }: { envs: Schemas['Environment'][] }) {
  const secrets = useSecrets({ project: 'shop', env: 'dev' });
  const status = useLiveFeed('shop', envs);
  return (
    <>
      <LiveIndicator status={status} />
      <ul aria-label="keys">{secrets.data?.secrets.map((s) => <li key={s.key}>{s.key}</li>)}</ul>
    </>
  );
}

/** The project's tabs, as ProjectPage shows them, following the feed. */
function Tabs() {
  const envs = useEnvironments('shop');
  useLiveFeed('shop', envs.data);
  return <ul aria-label="tabs">{envs.data?.map((e) => <li key={e.id}>{e.name}</li>)}</ul>;
}

const signIn = () => (document.cookie = 'coffer_csrf=tok-1; path=/');
const signOut = () => (document.cookie = 'coffer_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/');

afterEach(() => {
  vi.unstubAllGlobals();
  FakeSocket.all = [];
  signOut();
});

describe('live feed in the page', () => {
  it('resumes from what is on screen, shows Live, and refreshes the table when another client writes', async () => {
    signIn();
    vi.stubGlobal('WebSocket', FakeSocket);
    let bundle: Schemas['SecretBundle'] = { revision: 7, secrets: [secret('DB_URL', 1)] };
    const fetch = vi.fn(async () => Response.json(bundle));
    vi.stubGlobal('fetch', fetch);
    const qc = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
    qc.setQueryData(['me'], { id: 'u1', email: 'a@example.com', name: 'A', is_admin: false, created_at: '' });
    qc.setQueryData(['secrets', 'shop', 'dev'], bundle);
    renderWithProviders(<Harness envs={[env('dev', 5), env('prod', 2)]} />, { client: qc });

    const status = screen.getByRole('status');
    expect(status).toHaveTextContent('Live updates: Connecting…');
    const ws = FakeSocket.all[0]!;
    expect(ws.url).toBe(`ws://${location.host}/api/v1/events`);
    act(() => ws.open());
    // dev resumes from the table on screen (7), prod from the list (2).
    expect(ws.sent).toEqual([
      { type: 'subscribe', project: 'shop', environment: 'dev', since: 7 },
      { type: 'subscribe', project: 'shop', environment: 'prod', since: 2 },
    ]);
    act(() => {
      ws.receive({ type: 'subscribed', project: 'shop', environment: 'dev', revision: 7 });
      ws.receive({ type: 'subscribed', project: 'shop', environment: 'prod', revision: 2 });
    });
    expect(status).toHaveTextContent('Live updates: Live');

    bundle = { revision: 8, secrets: [secret('API_KEY', 1), secret('DB_URL', 1)] };
    act(() => ws.receive({ type: 'secret.created', project: 'shop', environment: 'dev', key: 'API_KEY', version: 1, revision: 8 }));
    expect(await screen.findByText('API_KEY')).toBeInTheDocument();
    expect(fetch).toHaveBeenCalledOnce();

    act(() => ws.drop(1001));
    expect(status).toHaveTextContent('Live updates: Reconnecting…');
  });

  it('shows the tab of an environment a teammate creates, follows it, and drops it when deleted', async () => {
    signIn();
    vi.stubGlobal('WebSocket', FakeSocket);
    let list = [env('dev', 5)];
    const fetched: string[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (req: Request) => {
        fetched.push(new URL(req.url).pathname);
        return Response.json({ environments: list });
      }),
    );
    const qc = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
    qc.setQueryData(['me'], { id: 'u1', email: 'a@example.com', name: 'A', is_admin: false, created_at: '' });
    qc.setQueryData(['environments', 'shop'], list);
    renderWithProviders(<Tabs />, { client: qc });
    const ws = FakeSocket.all[0]!;
    act(() => {
      ws.open();
      ws.receive({ type: 'subscribed', project: 'shop', environment: 'dev', environment_id: 'e-dev', revision: 5 });
    });

    // Announced to the watcher of dev although nobody follows qa yet.
    list = [env('dev', 5), env('qa', 0)];
    const created = { type: 'environment.created', project_id: 'p1', project: 'shop', environment_id: 'e-qa', environment: 'qa' };
    act(() => ws.receive(created));
    expect(await screen.findByText('qa')).toBeInTheDocument();
    expect(fetched).toEqual(['/api/v1/projects/shop/environments']);
    expect(ws.sent).toContainEqual({ type: 'subscribe', project: 'shop', environment: 'qa', since: 0 });

    // Already listed under its id (as after this tab's own change): no refetch.
    act(() => ws.receive(created));
    await new Promise((r) => setTimeout(r, 150));
    expect(fetched).toHaveLength(1);

    list = [env('dev', 5)];
    act(() => ws.receive({ ...created, type: 'environment.deleted' }));
    await waitFor(() => expect(screen.queryByText('qa')).not.toBeInTheDocument());
    expect(screen.getByText('dev')).toBeInTheDocument();
  });

  it('stays still once signed out, so the page does not refetch what sign-out dropped', () => {
    signIn();
    vi.stubGlobal('WebSocket', FakeSocket);
    const fetch = vi.fn(async () => Response.json({}, { status: 401 }));
    vi.stubGlobal('fetch', fetch);
    const qc = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
    qc.setQueryData(['me'], { id: 'u1', email: 'a@example.com', name: 'A', is_admin: false, created_at: '' });
    qc.setQueryData(['secrets', 'shop', 'dev'], { revision: 1, secrets: [] });
    renderWithProviders(<Harness envs={[env('dev', 1)]} />, { client: qc });
    const ws = FakeSocket.all[0]!;
    act(() => {
      ws.open();
      ws.receive({ type: 'subscribed', project: 'shop', environment: 'dev', revision: 1 });
    });
    expect(screen.getByRole('status')).toHaveTextContent('Live');
    // Sign-out: the answer drops the CSRF cookie, the app clears the cache,
    // then the server closes the feed (credential revoked).
    signOut();
    qc.clear();
    act(() => ws.drop(1008));
    expect(screen.getByRole('status')).toHaveTextContent('Live updates: Live');
    expect(fetch).not.toHaveBeenCalled();
  });
});

describe('LiveIndicator', () => {
  it('is a polite status with a word for every state', async () => {
    const { rerender } = renderWithProviders(<LiveIndicator status="live" />);
    const status = screen.getByRole('status');
    expect(status).toHaveAttribute('aria-live', 'polite');
    expect(status).toHaveTextContent('Live');
    rerender(<LiveIndicator status="reconnecting" />);
    await waitFor(() => expect(status).toHaveTextContent('Reconnecting…'));
  });
});
