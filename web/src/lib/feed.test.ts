import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FeedClient, feedUrl, type DropInfo, type FeedMessage, type FeedStatus } from './feed';

/** Stands in for the browser's WebSocket: the test opens, feeds and drops it. */
class FakeSocket {
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  closedWith: number | undefined;
  onopen: (() => void) | null = null;
  onclose: ((e: { code: number }) => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onerror: (() => void) | null = null;

  constructor(readonly url: string) {}

  send(data: string) {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(code?: number) {
    this.closedWith = code;
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  receive(msg: unknown) {
    this.onmessage?.({ data: typeof msg === 'string' ? msg : JSON.stringify(msg) });
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

function setup(opts: { beforeReconnect?: (info: DropInfo) => Promise<unknown> } = {}) {
  const sockets: FakeSocket[] = [];
  const messages: FeedMessage[] = [];
  const statuses: FeedStatus[] = [];
  const client = new FeedClient({
    url: 'ws://coffer.test/api/v1/events',
    onMessage: (m) => messages.push(m),
    onStatus: (s) => statuses.push(s),
    beforeReconnect: opts.beforeReconnect,
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s as unknown as WebSocket;
    },
    backoff: { base: 1000, max: 8000 },
    random: () => 1, // no jitter: each delay is its ceiling
  });
  const last = () => {
    const s = sockets.at(-1);
    if (!s) throw new Error('no socket');
    return s;
  };
  return { client, sockets, messages, statuses, last };
}

const subscribed = (environment: string, revision: number) => ({ type: 'subscribed', project: 'shop', environment, revision });
const updated = (environment: string, key: string, revision: number) => ({
  type: 'secret.updated',
  project: 'shop',
  environment,
  key,
  version: 2,
  revision,
  actor: { type: 'user', id: 'u2' },
  at: '2026-01-01T00:00:00Z',
});

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('FeedClient', () => {
  it('subscribes to every watched environment from its revision and is live once all are answered', () => {
    const { client, last, statuses } = setup();
    client.setWatched([
      { project: 'shop', environment: 'dev', since: 4 },
      { project: 'shop', environment: 'prod', since: 9 },
    ]);
    client.start();
    expect(last().url).toBe('ws://coffer.test/api/v1/events');
    last().open();
    expect(last().sent).toEqual([
      { type: 'subscribe', project: 'shop', environment: 'dev', since: 4 },
      { type: 'subscribe', project: 'shop', environment: 'prod', since: 9 },
    ]);
    last().receive(subscribed('dev', 4));
    expect(statuses).toEqual([]);
    last().receive(subscribed('prod', 9));
    expect(statuses).toEqual(['live']);
  });

  it('passes events on and resumes from the newest revision seen after a drop, backing off', async () => {
    const { client, last, sockets, messages, statuses } = setup();
    client.setWatched([{ project: 'shop', environment: 'dev', since: 4 }]);
    client.start();
    last().open();
    last().receive(subscribed('dev', 5));
    last().receive(updated('dev', 'DB_URL', 6));
    last().receive(updated('dev', 'API_KEY', 7));
    expect(messages.map((m) => m.type)).toEqual(['subscribed', 'secret.updated', 'secret.updated']);
    expect(client.revision('shop', 'dev')).toBe(7);

    last().drop(1001);
    expect(statuses).toEqual(['live', 'reconnecting']);
    await vi.advanceTimersByTimeAsync(999);
    expect(sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sockets).toHaveLength(2);

    // The retry fails before opening: the next wait doubles.
    last().drop();
    await vi.advanceTimersByTimeAsync(1999);
    expect(sockets).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(sockets).toHaveLength(3);

    last().open();
    expect(last().sent).toEqual([{ type: 'subscribe', project: 'shop', environment: 'dev', since: 7 }]);
    last().receive(subscribed('dev', 8));
    expect(statuses).toEqual(['live', 'reconnecting', 'live']);
    expect(client.revision('shop', 'dev')).toBe(8);

    // Being live again resets the backoff.
    last().drop(1013);
    await vi.advanceTimersByTimeAsync(1000);
    expect(sockets).toHaveLength(4);
  });

  it('never waits longer than the cap', async () => {
    const { client, last, sockets } = setup();
    client.start();
    for (const wait of [1000, 2000, 4000, 8000, 8000]) {
      last().drop();
      await vi.advanceTimersByTimeAsync(wait - 1);
      const n = sockets.length;
      await vi.advanceTimersByTimeAsync(1);
      expect(sockets.length).toBe(n + 1);
    }
  });

  it('lets the app check the session before reconnecting, and says why', async () => {
    const checks: DropInfo[] = [];
    let release = () => {};
    const beforeReconnect = (info: DropInfo) => {
      checks.push(info);
      return new Promise<void>((r) => (release = r));
    };
    const { client, last, sockets } = setup({ beforeReconnect });
    client.start();
    last().drop(1006); // refused upgrade: never opened
    await vi.advanceTimersByTimeAsync(1000);
    expect(checks).toEqual([{ code: 1006, opened: false }]);
    expect(sockets).toHaveLength(1); // waits for the check
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(sockets).toHaveLength(2);
    last().open();
    last().drop(1008);
    await vi.advanceTimersByTimeAsync(1000);
    expect(checks.at(-1)).toEqual({ code: 1008, opened: true });
  });

  it('reconnects even when the session check fails', async () => {
    const { client, last, sockets } = setup({ beforeReconnect: () => Promise.reject(new Error('offline')) });
    client.start();
    last().drop();
    await vi.advanceTimersByTimeAsync(1000);
    expect(sockets).toHaveLength(2);
  });

  it('unsubscribes environments no longer watched and subscribes new ones without leaving live', () => {
    const { client, last, statuses } = setup();
    client.setWatched([{ project: 'shop', environment: 'dev', since: 1 }]);
    client.start();
    last().open();
    last().receive(subscribed('dev', 1));
    client.setWatched([{ project: 'shop', environment: 'prod', since: 3 }]);
    expect(last().sent.slice(1)).toEqual([
      { type: 'unsubscribe', project: 'shop', environment: 'dev' },
      { type: 'subscribe', project: 'shop', environment: 'prod', since: 3 },
    ]);
    // Watching the same list again sends nothing; a newer listed revision is kept.
    client.setWatched([{ project: 'shop', environment: 'prod', since: 5 }]);
    expect(last().sent).toHaveLength(3);
    expect(client.revision('shop', 'prod')).toBe(5);
    expect(statuses).toEqual(['live']);
  });

  it('drops a refused subscription: it does not block live and is not asked for again', async () => {
    const { client, last, statuses, messages } = setup();
    client.setWatched([
      { project: 'shop', environment: 'dev', since: 1 },
      { project: 'shop', environment: 'gone', since: 1 },
    ]);
    client.start();
    last().open();
    last().receive(subscribed('dev', 1));
    last().receive({ type: 'error', code: 'not_found', detail: 'Environment not found.', project: 'shop', environment: 'gone' });
    expect(statuses).toEqual(['live']);
    expect(messages.at(-1)).toMatchObject({ type: 'error', environment: 'gone' });
    last().drop(1001);
    await vi.advanceTimersByTimeAsync(1000);
    last().open();
    expect(last().sent).toEqual([{ type: 'subscribe', project: 'shop', environment: 'dev', since: 1 }]);
  });

  it('ignores frames that are not feed messages', () => {
    const { client, last, messages } = setup();
    client.start();
    last().open();
    last().receive('not json');
    last().receive('[1,2]');
    last().receive({ type: 'subscribed', project: 'shop', environment: 'dev' }); // no revision
    last().onmessage?.({ data: new ArrayBuffer(2) });
    expect(messages).toEqual([]);
  });

  it('is live at once when it watches nothing yet', () => {
    const { client, last, statuses } = setup();
    client.start();
    last().open();
    expect(statuses).toEqual(['live']);
  });

  it('retries at once when asked, instead of waiting', async () => {
    const { client, last, sockets } = setup();
    client.start();
    last().drop();
    client.retryNow();
    expect(sockets).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sockets).toHaveLength(2); // the scheduled retry was cancelled
    client.retryNow(); // connected already: nothing
    expect(sockets).toHaveLength(2);
  });

  it('stops for good on close; a socket still connecting is closed once it opens', async () => {
    const { client, last, sockets, statuses } = setup();
    client.start();
    const connecting = last();
    client.close();
    expect(connecting.closedWith).toBeUndefined();
    connecting.open();
    expect(connecting.closedWith).toBe(1000);
    connecting.drop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sockets).toHaveLength(1);
    expect(statuses).toEqual([]);
  });

  it('closes an open socket at once and does not reconnect', async () => {
    const { client, last, sockets } = setup();
    client.start();
    last().open();
    client.close();
    expect(last().closedWith).toBe(1000);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sockets).toHaveLength(1);
  });
});

describe('feedUrl', () => {
  it('uses the page origin, wss under https', () => {
    expect(feedUrl({ protocol: 'https:', host: 'coffer.example.com' })).toBe('wss://coffer.example.com/api/v1/events');
    expect(feedUrl({ protocol: 'http:', host: '127.0.0.1:8080' })).toBe('ws://127.0.0.1:8080/api/v1/events');
  });
});
