import { QueryClient, QueryObserver, type QueryKey } from '@tanstack/react-query';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FeedMessage } from './feed';
import { createInvalidator } from './useLiveFeed';

function setup(me = 'u-me') {
  const qc = new QueryClient();
  qc.setQueryData(['secrets', 'shop', 'dev'], { revision: 5, secrets: [] });
  const spy = vi.spyOn(qc, 'invalidateQueries').mockResolvedValue();
  const inv = createInvalidator(qc, () => me);
  const invalidated = () => spy.mock.calls.map(([filters]) => filters?.queryKey as QueryKey);
  return { qc, inv, invalidated };
}

const secret = (revision: number, environment = 'dev'): FeedMessage => ({
  type: 'secret.updated',
  project: 'shop',
  environment,
  key: 'DB_URL',
  version: 2,
  revision,
});

const environment = (id: string, slug: string) => ({
  id,
  slug,
  name: slug,
  revision: 0,
  created_at: '',
  updated_at: '',
});

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('createInvalidator', () => {
  it('refetches a table older than the announced revision, once for a burst, after a short delay', () => {
    const { inv, invalidated } = setup();
    for (let r = 6; r < 56; r++) inv.handle(secret(r));
    expect(invalidated()).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(invalidated()).toEqual([
      ['secrets', 'shop', 'dev'],
      ['audit', 'shop'],
    ]);
  });

  it('leaves alone a table that already shows the revision (this tab made the change)', () => {
    const { inv, invalidated } = setup();
    inv.handle(secret(5));
    inv.handle({ type: 'subscribed', project: 'shop', environment: 'dev', revision: 5 });
    inv.flush();
    expect(invalidated()).toEqual([['audit', 'shop']]);
  });

  it('refreshes a table older than the revision a subscription resumed from', () => {
    const { inv, invalidated } = setup();
    inv.handle({ type: 'subscribed', project: 'shop', environment: 'dev', revision: 7 });
    inv.flush();
    expect(invalidated()).toEqual([['secrets', 'shop', 'dev']]);
  });

  it('does not fetch environments nobody has opened', () => {
    const { inv, invalidated } = setup();
    inv.handle(secret(9, 'prod'));
    inv.flush();
    expect(invalidated()).toEqual([['audit', 'shop']]);
  });

  it('refreshes the tabs on environment changes, and the tokens when one is deleted', () => {
    const { inv, invalidated } = setup();
    inv.handle({ type: 'environment.updated', project: 'shop', environment: 'qa' });
    inv.flush();
    expect(invalidated()).toEqual([['environments', 'shop'], ['audit', 'shop']]);
    inv.handle({ type: 'environment.deleted', project: 'shop', environment: 'qa' });
    inv.flush();
    expect(invalidated().slice(2)).toEqual([['environments', 'shop'], ['audit', 'shop'], ['tokens', 'shop']]);
  });

  it('refreshes the tabs for an environment a teammate created, by id: not when this tab lists it already', () => {
    const { qc, inv, invalidated } = setup();
    qc.setQueryData(['environments', 'shop'], [environment('e-dev', 'dev')]);
    const created: FeedMessage = { type: 'environment.created', project: 'shop', environment_id: 'e-qa', environment: 'qa' };
    inv.handle(created);
    inv.flush();
    expect(invalidated()).toEqual([['environments', 'shop'], ['audit', 'shop']]);
    qc.setQueryData(['environments', 'shop'], [environment('e-dev', 'dev'), environment('e-qa', 'qa')]);
    inv.handle(created);
    inv.flush();
    expect(invalidated().slice(2)).toEqual([['audit', 'shop']]);
  });

  it('drops the cached table of a deleted environment, found by id', () => {
    const { qc, inv, invalidated } = setup();
    qc.setQueryData(['environments', 'shop'], [environment('e-dev', 'dev'), environment('e-qa', 'qa')]);
    qc.setQueryData(['secrets', 'shop', 'qa'], { revision: 3, secrets: [] });
    inv.handle({ type: 'environment.deleted', project: 'shop', environment_id: 'e-qa', environment: 'qa' });
    expect(qc.getQueryData(['secrets', 'shop', 'qa'])).toBeUndefined();
    expect(qc.getQueryData(['secrets', 'shop', 'dev'])).toBeDefined();
    inv.flush();
    expect(invalidated()).toEqual([['environments', 'shop'], ['audit', 'shop'], ['tokens', 'shop']]);
  });

  it('refreshes members, and the project and list when the change is to the caller', () => {
    const { inv, invalidated } = setup('u-me');
    inv.handle({ type: 'member.updated', project: 'shop', user_id: 'u-other' });
    inv.flush();
    expect(invalidated()).toEqual([['members', 'shop'], ['audit', 'shop']]);
    inv.handle({ type: 'member.removed', project: 'shop', user_id: 'u-me' });
    inv.flush();
    expect(invalidated().slice(2)).toEqual([['members', 'shop'], ['audit', 'shop'], ['project', 'shop'], ['projects']]);
  });

  it('refetches the project when a subscription is refused or ends', () => {
    const { inv, invalidated } = setup();
    inv.handle({ type: 'error', code: 'not_found', detail: 'Project not found.', project: 'shop', environment: 'dev' });
    inv.handle({ type: 'error', code: 'invalid', detail: 'Unknown message.' });
    inv.flush();
    expect(invalidated()).toEqual([['project', 'shop'], ['environments', 'shop'], ['projects']]);
  });

  it('asks past the server cache when the refetched table is still older than announced', async () => {
    vi.useRealTimers();
    const qc = new QueryClient();
    const inv = createInvalidator(qc, () => 'u-me');
    // On screen, and this instance's cache still answers revision 5.
    const lagging = vi.fn(async () => ({ revision: 5, secrets: [] }));
    const unsubscribe = new QueryObserver(qc, { queryKey: ['secrets', 'shop', 'dev'], queryFn: lagging }).subscribe(() => {});
    await vi.waitFor(() => expect(qc.getQueryData(['secrets', 'shop', 'dev'])).toEqual({ revision: 5, secrets: [] }));
    const fresh: string[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (req: Request) => {
        fresh.push(`${new URL(req.url).pathname} ${req.headers.get('Cache-Control')}`);
        return Response.json({ revision: 6, secrets: [] });
      }),
    );
    inv.handle(secret(6));
    inv.flush();
    await vi.waitFor(() => expect(qc.getQueryData(['secrets', 'shop', 'dev'])).toEqual({ revision: 6, secrets: [] }));
    expect(lagging).toHaveBeenCalledTimes(2); // the plain refetch came first
    expect(fresh).toEqual(['/api/v1/projects/shop/environments/dev/secrets no-cache']);
    unsubscribe();
    vi.unstubAllGlobals();
  });

  it('forgets what it had pending when cancelled', () => {
    const { inv, invalidated } = setup();
    inv.handle(secret(8));
    inv.cancel();
    vi.advanceTimersByTime(1000);
    expect(invalidated()).toEqual([]);
  });
});
