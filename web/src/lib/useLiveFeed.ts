import { useQueryClient, type QueryClient, type QueryKey } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { api, type Schemas } from './api';
import { csrfToken } from './csrf';
import { FeedClient, feedUrl, type DropInfo, type FeedEvent, type FeedMessage, type FeedStatus } from './feed';
import { environmentsKey } from './queries/environments';
import { useMe } from './queries/me';
import { membersKey } from './queries/members';
import { projectKey, projectsKey } from './queries/projects';
import { refetchSecretsFresh, secretsKey } from './queries/secrets';

type Bundle = Schemas['SecretBundle'];
type Environment = Schemas['Environment'];

/** The server follows at most this many environments per connection. */
const maxWatched = 100;

/** Refetches a table. When it is on screen and the answer is still older
 * than revision (the instance answered from a cache that has not seen a
 * write made through another instance yet), asks once more past that
 * cache. */
async function refreshTable(qc: QueryClient, project: string, env: string, revision: number): Promise<void> {
  const key = secretsKey({ project, env });
  await qc.invalidateQueries({ queryKey: key });
  const query = qc.getQueryCache().find<Bundle>({ queryKey: key, exact: true });
  const shown = query?.state.data?.revision;
  if (!query?.isActive() || shown === undefined || shown >= revision || query.state.fetchStatus !== 'idle') return;
  await refetchSecretsFresh(qc, { project, env }).catch(() => {});
}

/** Turns feed messages into cache invalidations. A burst (an import of
 * many keys) becomes one refetch per query, and a table that already shows
 * the announced revision (the change was this tab's own) is left alone. */
export function createInvalidator(qc: QueryClient, me: () => string | undefined, delayMs = 100) {
  const keys = new Map<string, QueryKey>();
  // Per environment, the revision its cached table must have reached.
  const wanted = new Map<string, { project: string; env: string; revision: number }>();
  let timer: ReturnType<typeof setTimeout> | undefined;

  const add = (key: QueryKey) => keys.set(JSON.stringify(key), key);
  const want = (project: string, env: string, revision: number) => {
    const k = JSON.stringify([project, env]);
    const known = wanted.get(k);
    wanted.set(k, { project, env, revision: Math.max(revision, known?.revision ?? revision) });
  };

  const flush = () => {
    timer = undefined;
    for (const { project, env, revision } of wanted.values()) {
      const state = qc.getQueryState<Bundle>(secretsKey({ project, env }));
      if (!state) continue; // never read here: nothing on screen is stale
      if (state.data && state.data.revision >= revision) continue;
      void refreshTable(qc, project, env, revision);
    }
    wanted.clear();
    for (const key of keys.values()) void qc.invalidateQueries({ queryKey: key });
    keys.clear();
  };

  // Every watcher of the project hears of an environment created,
  // renamed or deleted, whichever environment it follows: the tabs are
  // refetched. By its id: a list that already holds a new environment (this
  // tab created it) is left alone, and a deleted one's cached table (its
  // values) is dropped.
  const environmentChanged = (msg: FeedEvent) => {
    const listed =
      msg.environment_id === undefined
        ? undefined
        : qc.getQueryData<Environment[]>(environmentsKey(msg.project))?.find((e) => e.id === msg.environment_id);
    if (msg.type !== 'environment.created' || !listed) add(environmentsKey(msg.project));
    add(['audit', msg.project]);
    if (msg.type !== 'environment.deleted') return;
    add(['tokens', msg.project]);
    const env = listed?.slug ?? msg.environment;
    if (env !== undefined) qc.removeQueries({ queryKey: secretsKey({ project: msg.project, env }) });
  };

  const handle = (msg: FeedMessage) => {
    switch (msg.type) {
      case 'subscribed':
        // Replayed changes came before this; a table older than the
        // revision the server resumed from is refreshed too.
        want(msg.project, msg.environment, msg.revision);
        break;
      case 'error':
        // A subscription refused or ended: the environment or the
        // project is gone, or the caller's access is.
        if (!msg.project) return;
        add(projectKey(msg.project));
        add(environmentsKey(msg.project));
        add(projectsKey);
        break;
      case 'secret.created':
      case 'secret.updated':
      case 'secret.deleted':
        if (msg.environment !== undefined && msg.revision !== undefined) want(msg.project, msg.environment, msg.revision);
        add(['audit', msg.project]);
        break;
      case 'environment.created':
      case 'environment.updated':
      case 'environment.deleted':
        environmentChanged(msg);
        break;
      case 'member.added':
      case 'member.updated':
      case 'member.removed':
        add(membersKey(msg.project));
        add(['audit', msg.project]);
        if (msg.user_id !== undefined && msg.user_id === me()) {
          add(projectKey(msg.project));
          add(projectsKey);
        }
        break;
      default:
        return;
    }
    timer ??= setTimeout(flush, delayMs);
  };

  const cancel = () => {
    clearTimeout(timer);
    timer = undefined;
    keys.clear();
    wanted.clear();
  };

  return { handle, flush, cancel };
}

/** Before reconnecting after a refused upgrade (the socket never opened) or
 * a revoked credential, asks for the signed-in user: the API client then
 * refreshes an expired session, or sends the person to sign in. */
async function probeSession({ opened, code }: DropInfo): Promise<void> {
  if (!csrfToken()) return; // signed out: nothing to refresh
  if (!opened || code === 1008) await api.GET('/api/v1/me');
}

/** The revision from which a change could be missing from what is on
 * screen: the cached table's if there is one, else the listed one. */
function sinceFor(qc: QueryClient, project: string, env: Environment): number {
  return qc.getQueryData<Bundle>(secretsKey({ project, env: env.slug }))?.revision ?? env.revision;
}

/** Follows the environments of the open project on the live feed and
 * refreshes the cached tables, tabs and member list when others change
 * them. Returns the connection's state, for the indicator. */
export function useLiveFeed(project: string, environments: Environment[] | undefined): FeedStatus {
  const qc = useQueryClient();
  const me = useMe().data?.id;
  const meRef = useRef(me);
  const client = useRef<FeedClient | null>(null);
  const [state, setState] = useState<{ project: string; status: FeedStatus }>({ project, status: 'connecting' });

  useEffect(() => {
    meRef.current = me;
  }, [me]);

  useEffect(() => {
    const invalidator = createInvalidator(qc, () => meRef.current);
    const feed = new FeedClient({
      url: feedUrl(),
      onMessage: invalidator.handle,
      onStatus: (status) => {
        // Signing out closes the feed (1008) after the cached data has been
        // dropped (the CSRF cookie with it) and before the page is gone:
        // re-rendering the page then would refetch without a session.
        if (csrfToken()) setState({ project, status });
      },
      beforeReconnect: probeSession,
    });
    client.current = feed;
    feed.start();
    const online = () => feed.retryNow();
    window.addEventListener('online', online);
    return () => {
      window.removeEventListener('online', online);
      feed.close();
      invalidator.cancel();
      client.current = null;
    };
  }, [qc, project]);

  useEffect(() => {
    if (!environments) return;
    client.current?.setWatched(
      environments.slice(0, maxWatched).map((e) => ({ project, environment: e.slug, since: sinceFor(qc, project, e) })),
    );
  }, [qc, project, environments]);

  return state.project === project ? state.status : 'connecting';
}
