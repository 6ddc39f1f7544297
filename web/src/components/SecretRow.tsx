import { useState } from 'react';
import type { Schemas } from '../lib/api';
import { formatTime } from '../lib/format';
import { usePutSecret } from '../lib/queries/secrets';
import { useToast } from '../lib/toast';
import { ConfirmDialog } from './ConfirmDialog';
import { MaskedValue } from './MaskedValue';
import { SecretForm } from './SecretForm';

type Props = {
  where: { project: string; env: string };
  secret: Schemas['Secret'];
  revealAll: boolean;
  canWrite: boolean;
  onHistory: () => void;
  /** Deletes the secret; the page owns it because the row vanishes at once. */
  onDelete: () => void;
};

/** One secret in the table; edits in place. */
export function SecretRow({ where, secret, revealAll, canWrite, onHistory, onDelete }: Props) {
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const put = usePutSecret(where);
  const toast = useToast();

  if (editing) {
    return (
      <tr>
        <td colSpan={5}>
          <SecretForm
            title={`Edit ${secret.key}`}
            initial={{ key: secret.key, value: secret.value ?? '', comment: secret.comment }}
            onCancel={() => setEditing(false)}
            onSave={(input) => {
              setEditing(false);
              put.mutate(input, {
                onSuccess: (s) => toast.success(`${s.key} is now version ${s.version}.`),
                onError: (e) => toast.error(e),
              });
            }}
          />
        </td>
      </tr>
    );
  }

  return (
    <tr>
      <th scope="row" className="key">
        <code>{secret.key}</code>
      </th>
      <td data-label="Value">
        <MaskedValue value={secret.value ?? ''} name={secret.key} revealAll={revealAll} />
      </td>
      <td data-label="Comment" className="comment">
        {secret.comment}
      </td>
      <td data-label="Version" className="small muted">
        v{secret.version} · {formatTime(secret.updated_at)}
      </td>
      <td className="row-actions">
        <button type="button" className="button-small" aria-label={`History of ${secret.key}`} onClick={onHistory}>
          History
        </button>
        {canWrite && (
          <>
            <button type="button" className="button-small" aria-label={`Edit ${secret.key}`} onClick={() => setEditing(true)}>
              Edit
            </button>
            <button
              type="button"
              className="button-small danger"
              aria-label={`Delete ${secret.key}`}
              onClick={() => setConfirming(true)}
            >
              Delete
            </button>
          </>
        )}
        {confirming && (
          <ConfirmDialog
            title={`Delete ${secret.key}?`}
            confirmLabel="Delete secret"
            onClose={() => setConfirming(false)}
            onConfirm={() => {
              setConfirming(false);
              onDelete();
            }}
          >
            <p>
              Services reading <code>{secret.key}</code> from this environment will no longer get it. Its history is kept
              until retention purges it.
            </p>
          </ConfirmDialog>
        )}
      </td>
    </tr>
  );
}
