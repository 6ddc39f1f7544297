import type { FeedStatus } from '../lib/feed';

const labels: Record<FeedStatus, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
};

/** Whether changes made elsewhere show up by themselves; announced
 * politely when it changes. Fixed width, so the header does not move. */
export function LiveIndicator({ status }: { status: FeedStatus }) {
  return (
    <p className={`live live-${status}`} role="status" aria-live="polite">
      <span className="live-dot" aria-hidden="true" />
      <span className="visually-hidden">Live updates: </span>
      {labels[status]}
    </p>
  );
}
