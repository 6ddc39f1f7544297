import { formatTime } from '../lib/format';
import { useRollback, useSecretVersions } from '../lib/queries/secrets';
import { useToast } from '../lib/toast';
import { MaskedValue } from './MaskedValue';
import { Modal } from './Modal';
import { QueryView } from './QueryList';

type Props = { where: { project: string; env: string }; secretKey: string; canWrite: boolean; onClose: () => void };

/** The versions of a secret, newest first, each one a rollback away. */
export function SecretHistory({ where, secretKey, canWrite, onClose }: Props) {
  const versions = useSecretVersions(where, secretKey);
  const rollback = useRollback(where);
  const toast = useToast();
  const newest = versions.data?.[0];
  const current = newest && !newest.deleted ? newest.version : undefined;
  return (
    <Modal title={`History of ${secretKey}`} onClose={onClose} wide>
      <QueryView query={versions} loading="Loading versions">
        {(items) => (
          <ol className="versions" aria-label="Versions">
            {items.map((v) => (
              <li key={v.version} className="version">
                <div className="version-head">
                  <strong>v{v.version}</strong>
                  <span className="muted small">
                    {formatTime(v.created_at)} · {v.created_by.type}
                  </span>
                  {v.version === current && <span className="badge">current</span>}
                </div>
                {v.deleted ? (
                  <p className="muted">Deleted</p>
                ) : v.value === undefined ? (
                  <p className="muted">Purged</p>
                ) : (
                  <MaskedValue value={v.value} name={`${secretKey} v${v.version}`} />
                )}
                {v.comment && <p className="comment">{v.comment}</p>}
                {canWrite && !v.deleted && v.value !== undefined && v.version !== current && (
                  <button
                    type="button"
                    className="button-small"
                    disabled={rollback.isPending}
                    onClick={() =>
                      rollback.mutate(
                        { key: secretKey, version: v.version },
                        {
                          onSuccess: (s) => {
                            toast.success(`${secretKey} rolled back to v${v.version} (now v${s.version}).`);
                            void versions.refetch();
                          },
                          onError: (e) => toast.error(e),
                        },
                      )
                    }
                  >
                    Roll back to v{v.version}
                  </button>
                )}
              </li>
            ))}
          </ol>
        )}
      </QueryView>
    </Modal>
  );
}
