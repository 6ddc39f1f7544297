import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ReactElement } from 'react';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RestoreDialog } from '../components/RestoreDialog';
import { SecretHistory } from '../components/SecretHistory';
import { problem } from '../test/api';
import { renderWithProviders } from '../test/render';
import AccountPage from './AccountPage';
import AuditPage from './AuditPage';
import { ProjectIndex } from './ProjectPage';
import ProjectsPage from './ProjectsPage';
import SecretsPage from './SecretsPage';

/** A list on a page, as the person sees it while it loads, fails and is empty. */
type Case = {
  name: string;
  route: string;
  url: string;
  page: ReactElement;
  /** The API path the list reads. */
  list: string;
  /** What that path answers with nothing in it. */
  none: unknown;
  loading: string;
  rows: number;
  /** The empty state's title and hint; absent where the list is never empty. */
  empty?: string;
  hint?: string;
};

const secrets: Case = {
  name: 'SecretsPage',
  route: '/projects/:project/env/:env',
  url: '/projects/shop/env/dev',
  page: <SecretsPage />,
  list: '/api/v1/projects/shop/environments/dev/secrets',
  none: { revision: 0, secrets: [] },
  loading: 'Loading secrets',
  rows: 5,
  empty: 'No secrets in this environment yet.',
  hint: 'Add one, or import a .env file.',
};

const cases: Case[] = [
  {
    name: 'ProjectsPage',
    route: '/projects',
    url: '/projects',
    page: <ProjectsPage />,
    list: '/api/v1/projects',
    none: { projects: [], next_cursor: '' },
    loading: 'Loading projects',
    rows: 3,
    empty: 'No projects yet.',
    hint: 'Create one above; it gets dev, staging and prod environments.',
  },
  {
    name: 'AccountPage sessions',
    route: '/account',
    url: '/account',
    page: <AccountPage />,
    list: '/api/v1/me/sessions',
    none: { sessions: [] },
    loading: 'Loading sessions',
    rows: 2,
  },
  {
    name: 'AccountPage personal tokens',
    route: '/account',
    url: '/account',
    page: <AccountPage />,
    list: '/api/v1/me/tokens',
    none: { tokens: [] },
    loading: 'Loading tokens',
    rows: 2,
    empty: 'No personal tokens.',
  },
  {
    name: 'AuditPage',
    route: '/projects/:project/audit',
    url: '/projects/shop/audit',
    page: <AuditPage />,
    list: '/api/v1/projects/shop/audit',
    none: { events: [], next_cursor: '' },
    loading: 'Loading audit events',
    rows: 5,
    empty: 'No events match.',
  },
  {
    name: 'ProjectIndex',
    route: '/projects/:project',
    url: '/projects/shop',
    page: <ProjectIndex />,
    list: '/api/v1/projects/shop/environments',
    none: { environments: [] },
    loading: 'Loading environments',
    rows: 4,
    empty: 'This project has no environments.',
    hint: 'Create one under Environments',
  },
  secrets,
  {
    name: 'SecretHistory',
    route: '/',
    url: '/',
    page: <SecretHistory where={{ project: 'shop', env: 'dev' }} secretKey="API_KEY" canWrite onClose={() => {}} />,
    list: '/api/v1/projects/shop/environments/dev/secrets/API_KEY/versions',
    none: { versions: [] },
    loading: 'Loading versions',
    rows: 3,
  },
  {
    name: 'RestoreDialog',
    route: '/',
    url: '/',
    page: <RestoreDialog where={{ project: 'shop', env: 'dev' }} onHistory={() => {}} onClose={() => {}} />,
    list: '/api/v1/projects/shop/environments/dev/deleted-secrets',
    none: { secrets: [] },
    loading: 'Loading deleted secrets',
    rows: 3,
    empty: 'No deleted secret to restore.',
    hint: 'Secrets deleted longer ago than the retention are gone for good.',
  },
];

/** What the other reads of these pages answer: empty, or the project. */
const others: Record<string, unknown> = {
  '/api/v1/me/sessions': { sessions: [] },
  '/api/v1/me/tokens': { tokens: [] },
  '/api/v1/projects/shop': { id: 'p', slug: 'shop', name: 'Shop', role: 'owner', created_at: '', updated_at: '' },
  '/api/v1/projects/shop/environments': { environments: [] },
};

/** Renders c's page with a fake API: c.list answers with list(), every
 * other read from `others`; returns how often c.list was read. */
function render(c: Case, list: () => Promise<Response>) {
  let reads = 0;
  vi.stubGlobal(
    'fetch',
    vi.fn(async (req: Request) => {
      const path = new URL(req.url).pathname;
      if (path === c.list) {
        reads++;
        return list();
      }
      return path in others ? Response.json(others[path]) : problem(404, 'Not found.');
    }),
  );
  const router = createMemoryRouter([{ path: c.route, element: c.page }], { initialEntries: [c.url] });
  renderWithProviders(<RouterProvider router={router} />);
  return { reads: () => reads };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe.each(cases)('$name', (c) => {
  it('shows a named skeleton of its usual height while loading', async () => {
    render(c, () => new Promise<Response>(() => {}));
    const skeleton = await screen.findByRole('status', { name: c.loading });
    expect(skeleton.children).toHaveLength(c.rows);
  });

  it("shows the server's detail and tries again on request", async () => {
    let fail = true;
    const api = render(c, async () => (fail ? problem(500, 'The store is unavailable.') : Response.json(c.none)));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The store is unavailable.');
    fail = false;
    await userEvent.setup().click(within(alert).getByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(screen.queryByRole('alert')).not.toBeInTheDocument());
    expect(api.reads()).toBe(2);
  });
});

const canBeEmpty = cases.filter((c): c is Case & { empty: string } => c.empty !== undefined);

describe.each(canBeEmpty)('$name', (c) => {
  it('says so when the list is empty', async () => {
    render(c, async () => Response.json(c.none));
    expect(await screen.findByText(c.empty)).toBeInTheDocument();
    if (c.hint) expect(await screen.findByText(c.hint)).toBeInTheDocument();
    expect(screen.queryByRole('status', { name: c.loading })).not.toBeInTheDocument();
  });
});

describe('SecretsPage search', () => {
  it('says so when no secret matches', async () => {
    const secret = { key: 'API_KEY', value: 'v', version: 1, comment: '', updated_at: '', updated_by: { type: 'user', id: 'u' } };
    render(secrets, async () => Response.json({ revision: 1, secrets: [secret] }));
    expect(await screen.findByText('API_KEY')).toBeInTheDocument();
    await userEvent.setup().type(screen.getByLabelText('Search secrets by key or comment'), 'nothing-like-it');
    expect(await screen.findByText('No secret matches your search.')).toBeInTheDocument();
  });
});

describe('RestoreDialog', () => {
  const restoreDialog = cases.find((c) => c.name === 'RestoreDialog')!;
  const deleted = (key: string) => ({
    key,
    version: 3,
    deleted_at: new Date().toISOString(),
    deleted_by: { type: 'user', id: 'u' },
    restore_version: 2,
  });

  it('loads the next page on request', async () => {
    const cursors: (string | null)[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (req: Request) => {
        const url = new URL(req.url);
        if (url.pathname !== restoreDialog.list) return problem(404, 'Not found.');
        cursors.push(url.searchParams.get('cursor'));
        return url.searchParams.get('cursor')
          ? Response.json({ secrets: [deleted('B_KEY')] })
          : Response.json({ secrets: [deleted('A_KEY')], next_cursor: 'A_KEY' });
      }),
    );
    renderWithProviders(restoreDialog.page);
    expect(await screen.findByRole('button', { name: 'Restore A_KEY' })).toBeInTheDocument();
    await userEvent.setup().click(screen.getByRole('button', { name: 'Load more' }));
    expect(await screen.findByRole('button', { name: 'Restore B_KEY' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Load more' })).not.toBeInTheDocument();
    expect(cursors).toEqual([null, 'A_KEY']);
  });

  it('rolls a key back to the version it names', async () => {
    const rollbacks: unknown[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (req: Request) => {
        const url = new URL(req.url);
        if (url.pathname === restoreDialog.list) return Response.json({ secrets: [deleted('A_KEY')] });
        if (req.method === 'POST' && url.pathname.endsWith('/secrets/A_KEY/rollback')) {
          rollbacks.push(await req.json());
          return Response.json({ key: 'A_KEY', value: 'v', version: 4, comment: '', updated_at: '', updated_by: { type: 'user', id: 'u' } });
        }
        return problem(404, 'Not found.');
      }),
    );
    renderWithProviders(restoreDialog.page);
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Restore A_KEY' }));
    expect(await screen.findByText('A_KEY restored from v2 (now v4).')).toBeInTheDocument();
    expect(rollbacks).toEqual([{ version: 2 }]);
  });
});
