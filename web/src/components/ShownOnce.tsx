import { CopyButton } from './CopyButton';

/** A token secret that the server shows once: selectable, copyable, gone
 * when dismissed. */
export function ShownOnce({ secret, onDone }: { secret: string; onDone: () => void }) {
  return (
    <div className="shown-once" role="region" aria-label="New token">
      <p>
        <strong>Copy this token now.</strong> Coffer stores only its hash and will not show it again.
      </p>
      <div className="row">
        <code className="value token-secret" data-testid="token-secret">
          {secret}
        </code>
        <CopyButton value={secret} label="Copy token" />
      </div>
      <button type="button" onClick={onDone}>
        I have stored it
      </button>
    </div>
  );
}
