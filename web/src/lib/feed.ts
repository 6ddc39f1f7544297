// The live change feed (docs/live-events.md): one WebSocket that watches
// environments and says what changed in them — keys, versions, revisions,
// never values. It reconnects with backoff and resumes every environment
// from the last revision it saw, so a dropped connection misses nothing.
// No React here: useLiveFeed.ts wires it to the query cache.

import type { Schemas } from './api';

/** The event types of the contract (FeedMessageType). Environment events
 * reach every watcher of the project, live only, never replayed. */
export type FeedEventType = Exclude<Schemas['FeedMessageType'], 'subscribed' | 'error'>;

/** A change the server announces. */
export type FeedEvent = {
  type: FeedEventType;
  project_id?: string;
  project: string;
  /** Which environment changed: the subscription it concerns, or the
   * environment created, renamed or deleted. */
  environment_id?: string;
  environment?: string;
  key?: string;
  version?: number;
  revision?: number;
  /** Member events: whose membership changed. */
  user_id?: string;
  actor?: { type: string; id?: string };
  at?: string;
};

/** The server follows an environment from `revision` on. */
export type FeedSubscribed = {
  type: 'subscribed';
  project_id?: string;
  project: string;
  environment_id?: string;
  environment: string;
  revision: number;
};

/** A refused or ended subscription (or a malformed message). */
export type FeedError = { type: 'error'; code: string; detail: string; project?: string; environment?: string };

export type FeedMessage = FeedEvent | FeedSubscribed | FeedError;

/** connecting: first attempt; live: every watched environment is followed;
 * reconnecting: the connection dropped and a retry is scheduled. */
export type FeedStatus = 'connecting' | 'live' | 'reconnecting';

/** An environment to follow, from `since` on when given. */
export type Watch = { project: string; environment: string; since?: number };

/** Why a reconnect happens: lets the app refresh an expired session first,
 * since a browser WebSocket never sees the 401 of a refused upgrade. */
export type DropInfo = { code: number; opened: boolean };

export type FeedOptions = {
  url: string;
  onMessage: (message: FeedMessage) => void;
  onStatus: (status: FeedStatus) => void;
  beforeReconnect?: (info: DropInfo) => Promise<unknown>;
  /** Tests pass a fake. */
  createSocket?: (url: string) => WebSocket;
  /** First retry delay and the cap, in ms; each retry doubles, with jitter. */
  backoff?: { base: number; max: number };
  random?: () => number;
};

type Sub = { project: string; environment: string; revision: number | undefined };

const CONNECTING = 0;
const OPEN = 1;

const subKey = (project: string, environment: string) => `${project}\n${environment}`;

const maxRevision = (a: number | undefined, b: number | undefined) =>
  a === undefined ? b : b === undefined ? a : Math.max(a, b);

/** One live connection and the environments it follows. */
export class FeedClient {
  private readonly opts: FeedOptions;
  private socket: WebSocket | null = null;
  private readonly subs = new Map<string, Sub>();
  /** Subscriptions sent on this connection's open, not yet answered. */
  private readonly awaiting = new Set<string>();
  private status: FeedStatus = 'connecting';
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(opts: FeedOptions) {
    this.opts = opts;
  }

  /** Opens the connection. */
  start(): void {
    this.connect();
  }

  /** Follows exactly these environments from now on. A known environment
   * keeps the newest revision seen; a new one starts at its `since`. */
  setWatched(list: Watch[]): void {
    const want = new Map(list.map((w) => [subKey(w.project, w.environment), w]));
    for (const [k, s] of this.subs) {
      if (want.has(k)) continue;
      this.subs.delete(k);
      this.awaiting.delete(k);
      this.send({ type: 'unsubscribe', project: s.project, environment: s.environment });
    }
    for (const [k, w] of want) {
      const known = this.subs.get(k);
      if (known) {
        known.revision = maxRevision(known.revision, w.since);
        continue;
      }
      const sub: Sub = { project: w.project, environment: w.environment, revision: w.since };
      this.subs.set(k, sub);
      this.subscribe(sub);
    }
    this.checkLive();
  }

  /** The revision to resume an environment from, if any is known. */
  revision(project: string, environment: string): number | undefined {
    return this.subs.get(subKey(project, environment))?.revision;
  }

  /** Retries at once (the browser came back online, say). */
  retryNow(): void {
    if (this.stopped || this.socket) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.connect();
  }

  /** Closes the connection for good. */
  close(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    const ws = this.socket;
    this.socket = null;
    if (!ws) return;
    ws.onmessage = null;
    ws.onerror = null;
    ws.onclose = null;
    // Closing a socket that is still connecting makes browsers log an
    // error; let it open first.
    if (ws.readyState === CONNECTING) ws.onopen = () => ws.close(1000);
    else ws.close(1000);
  }

  private connect(): void {
    if (this.stopped) return;
    const create = this.opts.createSocket ?? ((url: string) => new WebSocket(url));
    const ws = create(this.opts.url);
    this.socket = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.awaiting.clear();
      for (const [k, s] of this.subs) {
        this.awaiting.add(k);
        this.subscribe(s);
      }
      this.checkLive();
    };
    ws.onmessage = (e: MessageEvent) => this.receive(e.data);
    ws.onerror = () => {}; // a close follows, and says more
    ws.onclose = (e: CloseEvent) => {
      if (this.socket !== ws) return;
      this.socket = null;
      this.scheduleReconnect({ code: e.code, opened });
    };
  }

  private scheduleReconnect(info: DropInfo): void {
    if (this.stopped) return;
    this.setStatus('reconnecting');
    const { base, max } = this.opts.backoff ?? { base: 1000, max: 30_000 };
    const ceiling = Math.min(max, base * 2 ** this.attempt);
    const delay = ceiling / 2 + (ceiling / 2) * (this.opts.random ?? Math.random)();
    this.attempt++;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.reconnect(info);
    }, delay);
  }

  private async reconnect(info: DropInfo): Promise<void> {
    try {
      await this.opts.beforeReconnect?.(info);
    } catch {
      // The next attempt will tell.
    }
    if (!this.stopped && !this.socket && this.timer === undefined) this.connect();
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') return;
    let msg: unknown;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    if (!isFeedMessage(msg)) return;
    if (msg.environment !== undefined) {
      const k = subKey(msg.project ?? '', msg.environment);
      const sub = this.subs.get(k);
      if (msg.type === 'subscribed') {
        if (sub) sub.revision = maxRevision(sub.revision, msg.revision);
        this.awaiting.delete(k);
      } else if (msg.type === 'error') {
        // Refused or ended (deleted, access lost, too many): not followed
        // any more, and not asked for again on the next connection.
        this.subs.delete(k);
        this.awaiting.delete(k);
      } else if (sub && msg.type.startsWith('secret.')) {
        sub.revision = maxRevision(sub.revision, msg.revision);
      }
    }
    this.opts.onMessage(msg);
    this.checkLive();
  }

  private subscribe(s: Sub): void {
    this.send({ type: 'subscribe', project: s.project, environment: s.environment, since: s.revision });
  }

  private send(message: { type: string; project: string; environment: string; since?: number }): void {
    if (this.socket?.readyState === OPEN) this.socket.send(JSON.stringify(message));
  }

  private checkLive(): void {
    if (this.socket?.readyState !== OPEN || this.awaiting.size > 0 || this.status === 'live') return;
    this.attempt = 0;
    this.setStatus('live');
  }

  private setStatus(status: FeedStatus): void {
    if (status === this.status) return;
    this.status = status;
    this.opts.onStatus(status);
  }
}

function isFeedMessage(v: unknown): v is FeedMessage {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  const optional = (field: string, type: string) => m[field] === undefined || typeof m[field] === type;
  return (
    typeof m.type === 'string' &&
    optional('project', 'string') &&
    optional('project_id', 'string') &&
    optional('environment', 'string') &&
    optional('environment_id', 'string') &&
    optional('revision', 'number') &&
    (m.type !== 'subscribed' || typeof m.revision === 'number')
  );
}

/** The feed's address on this page's own origin (the CSP's connect-src
 * 'self' covers ws: and wss: of the same host). */
export function feedUrl(loc: Pick<Location, 'protocol' | 'host'> = location): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/api/v1/events`;
}
