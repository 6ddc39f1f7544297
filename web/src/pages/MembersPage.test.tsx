import { QueryClient } from '@tanstack/react-query';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Schemas } from '../lib/api';
import { problem } from '../test/api';
import { renderWithProviders } from '../test/render';
import MembersPage from './MembersPage';

type Role = Schemas['Role'];

const member = (id: string, name: string, role: Role): Schemas['Member'] => ({
  user_id: id,
  email: `${name.toLowerCase()}@example.com`,
  name,
  role,
  created_at: '2026-01-01T00:00:00Z',
});

const members = [member('u-ada', 'Ada', 'owner'), member('u-bea', 'Bea', 'developer'), member('u-cy', 'Cy', 'viewer')];

/** Renders the page as `me` with the given role; the cache is seeded and
 * never stale, so only the mutations reach the (stubbed) network. */
function setup(me: string, role: Role, invitations: Schemas['Invitation'][] = []) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
  qc.setQueryData(['me'], { id: me, email: 'x@example.com', name: 'X', is_admin: false, created_at: '' });
  qc.setQueryData(['project', 'shop'], { id: 'p', slug: 'shop', name: 'Shop', role, created_at: '', updated_at: '' });
  qc.setQueryData(['members', 'shop'], members);
  qc.setQueryData(['invitations', 'shop'], invitations);
  qc.setQueryData(['auth-status'], { has_users: true, signup_mode: invitations.length > 0 ? 'invite' : 'open' });
  const router = createMemoryRouter([{ path: '/projects/:project/members', element: <MembersPage /> }], {
    initialEntries: ['/projects/shop/members'],
  });
  renderWithProviders(<RouterProvider router={router} />, { client: qc });
  return qc;
}

/** A fake API: reads come from `list`, changes go to `change` (which
 * returns the response and may edit the list). */
function fakeApi(
  role: Role,
  list: Schemas['Member'][],
  change: (req: Request) => Promise<Response>,
  invitations: Schemas['Invitation'][] = [],
) {
  const fetch = vi.fn(async (req: Request) => {
    const path = new URL(req.url).pathname;
    if (req.method !== 'GET') return change(req);
    if (path === '/api/v1/projects/shop/members') return Response.json({ members: list });
    if (path === '/api/v1/projects/shop/invitations') return Response.json({ invitations });
    if (path === '/api/v1/projects/shop') return Response.json({ id: 'p', slug: 'shop', name: 'Shop', role, created_at: '', updated_at: '' });
    return problem(404, 'Not found.');
  });
  vi.stubGlobal('fetch', fetch);
  return { changes: () => fetch.mock.calls.filter(([r]) => r.method !== 'GET').map(([r]) => r) };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('MembersPage', () => {
  it('shows a viewer the members and only a way to leave', () => {
    setup('u-cy', 'viewer');
    expect(screen.queryByRole('form', { name: 'Add a member' })).not.toBeInTheDocument();
    expect(screen.queryByRole('combobox')).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /^Remove/ })).not.toBeInTheDocument();
    const self = screen.getByRole('row', { name: /Cy/ });
    expect(within(self).getByRole('button', { name: 'Leave project' })).toBeInTheDocument();
    expect(within(screen.getByRole('row', { name: /Ada/ })).getByText('owner')).toBeInTheDocument();
  });

  it('lets an admin manage non-owners, without handing out ownership', () => {
    setup('u-bea', 'admin');
    expect(screen.getByRole('form', { name: 'Add a member' })).toBeInTheDocument();
    const addRole = screen.getByLabelText('Role');
    expect(within(addRole).queryByRole('option', { name: 'owner' })).not.toBeInTheDocument();
    expect(screen.queryByLabelText('Role of ada@example.com')).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Remove ada@example.com' })).not.toBeInTheDocument();
    const cy = screen.getByLabelText('Role of cy@example.com');
    expect(within(cy).queryByRole('option', { name: 'owner' })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Remove cy@example.com' })).toBeInTheDocument();
  });

  it('changes a role with Save, which stays focusable while there is nothing to save', async () => {
    const list = [...members];
    const api = fakeApi('owner', list, async (req) => {
      expect(`${req.method} ${new URL(req.url).pathname}`).toBe('PATCH /api/v1/projects/shop/members/u-cy');
      expect(await req.json()).toEqual({ role: 'developer' });
      list[2] = member('u-cy', 'Cy', 'developer');
      return Response.json(list[2]);
    });
    setup('u-ada', 'owner');
    const user = userEvent.setup();
    const save = screen.getByRole('button', { name: 'Save role of cy@example.com' });
    expect(save).toHaveAttribute('aria-disabled', 'true');
    await user.click(save);
    expect(api.changes()).toHaveLength(0);
    await user.selectOptions(screen.getByLabelText('Role of cy@example.com'), 'developer');
    expect(save).toHaveAttribute('aria-disabled', 'false');
    await user.click(save);
    expect(await screen.findByText('cy@example.com is now developer.')).toBeInTheDocument();
    expect(api.changes()).toHaveLength(1);
    expect(screen.getByLabelText('Role of cy@example.com')).toHaveValue('developer');
    expect(save).toHaveAttribute('aria-disabled', 'true');
  });

  it("shows the server's reason when the last owner would be demoted, and puts the role back", async () => {
    const detail = 'A project needs an owner; make someone else owner first.';
    fakeApi('owner', members, async () => problem(409, detail));
    setup('u-ada', 'owner');
    const user = userEvent.setup();
    const select = screen.getByLabelText('Role of ada@example.com');
    expect(within(select).getByRole('option', { name: 'owner' })).toBeInTheDocument();
    await user.selectOptions(select, 'admin');
    await user.click(screen.getByRole('button', { name: 'Save role of ada@example.com' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(detail);
    expect(select).toHaveValue('owner');
  });

  it('lists an invited email under pending invitations, which an admin may revoke', async () => {
    const invitations: Schemas['Invitation'][] = [];
    const api = fakeApi(
      'admin',
      members,
      async (req) => {
        const call = `${req.method} ${new URL(req.url).pathname}`;
        if (call === 'POST /api/v1/projects/shop/members') {
          const inv = { email: 'dee@example.com', role: 'viewer' as const, created_at: '2026-01-02T00:00:00Z' };
          invitations.push(inv);
          return Response.json(inv, { status: 202 });
        }
        expect(call).toBe('DELETE /api/v1/projects/shop/invitations/dee%40example.com');
        invitations.pop();
        return new Response(null, { status: 204 });
      },
      invitations,
    );
    setup('u-bea', 'admin');
    expect(screen.queryByRole('heading', { name: 'Pending invitations' })).not.toBeInTheDocument();
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Email'), 'dee@example.com');
    await user.selectOptions(screen.getByLabelText('Role'), 'viewer');
    await user.click(screen.getByRole('button', { name: 'Add member' }));
    expect(await screen.findByText('dee@example.com is invited; they join as viewer when they sign up.')).toBeInTheDocument();
    const pending = await screen.findByRole('list', { name: 'Pending invitations' });
    expect(within(pending).getByText('dee@example.com')).toBeInTheDocument();
    await user.click(within(pending).getByRole('button', { name: 'Revoke the invitation of dee@example.com' }));
    expect(await screen.findByText('The invitation of dee@example.com is revoked.')).toBeInTheDocument();
    expect(screen.queryByRole('heading', { name: 'Pending invitations' })).not.toBeInTheDocument();
    expect(api.changes()).toHaveLength(2);
  });

  it('shows a viewer pending invitations without a way to revoke them', () => {
    setup('u-cy', 'viewer', [{ email: 'dee@example.com', role: 'viewer', created_at: '2026-01-02T00:00:00Z' }]);
    const pending = screen.getByRole('list', { name: 'Pending invitations' });
    expect(within(pending).getByText('dee@example.com')).toBeInTheDocument();
    expect(within(pending).queryByRole('button')).not.toBeInTheDocument();
  });

  it('removes a member after confirmation', async () => {
    const list = [...members];
    fakeApi('owner', list, async (req) => {
      expect(`${req.method} ${new URL(req.url).pathname}`).toBe('DELETE /api/v1/projects/shop/members/u-bea');
      list.splice(1, 1);
      return new Response(null, { status: 204 });
    });
    setup('u-ada', 'owner');
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Remove bea@example.com' }));
    await user.click(screen.getByRole('button', { name: 'Remove member' }));
    expect(await screen.findByText('bea@example.com removed.')).toBeInTheDocument();
    expect(screen.queryByRole('row', { name: /Bea/ })).not.toBeInTheDocument();
  });
});
