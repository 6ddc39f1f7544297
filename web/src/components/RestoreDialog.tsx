import { formatRelative, formatTime } from '../lib/format';
import { useDeletedSecrets, useRollback } from '../lib/queries/secrets';
import { useToast } from '../lib/toast';
import { Modal } from './Modal';
import { QueryList } from './QueryList';
import { Table } from './Table';

type Props = {
  where: { project: string; env: string };
  /** Opens a key's history, for an older value than the last one. */
  onHistory: (key: string) => void;
  onClose: () => void;
};

/** The deleted secrets of an environment whose values are still kept: each
 * one a click from coming back with its last value. */
export function RestoreDialog({ where, onHistory, onClose }: Props) {
  const deleted = useDeletedSecrets(where);
  const rollback = useRollback(where);
  const toast = useToast();
  return (
    <Modal title="Restore a deleted secret" onClose={onClose} wide>
      <p className="muted">
        A deleted secret keeps its versions for a while after the deletion (30 days unless your operator set
        otherwise). Restore brings back its last value; its versions hold the older ones.
      </p>
      <QueryList
        query={deleted}
        loading="Loading deleted secrets"
        empty="No deleted secret to restore."
        emptyHint={<p className="muted">Secrets deleted longer ago than the retention are gone for good.</p>}
      >
        {(items) => (
          <Table caption={`Deleted secrets of ${where.env}`} columns={['Key', 'Deleted', 'By']} actions>
            {items.map((d) => (
              <tr key={d.key}>
                <th scope="row" className="key">
                  <code>{d.key}</code>
                </th>
                <td data-label="Deleted">
                  <time dateTime={d.deleted_at} title={formatTime(d.deleted_at)}>
                    {formatRelative(d.deleted_at)}
                  </time>
                </td>
                <td data-label="By">{d.deleted_by.type}</td>
                <td className="row-actions">
                  <button
                    type="button"
                    className="button-small primary"
                    aria-label={`Restore ${d.key}`}
                    disabled={rollback.isPending}
                    onClick={() =>
                      rollback.mutate(
                        { key: d.key, version: d.restore_version },
                        {
                          onSuccess: (s) => toast.success(`${d.key} restored from v${d.restore_version} (now v${s.version}).`),
                          onError: (e) => toast.error(e),
                        },
                      )
                    }
                  >
                    Restore
                  </button>
                  <button
                    type="button"
                    className="button-small"
                    aria-label={`Versions of ${d.key}`}
                    onClick={() => onHistory(d.key)}
                  >
                    Versions
                  </button>
                </td>
              </tr>
            ))}
          </Table>
        )}
      </QueryList>
      {deleted.hasNextPage && (
        <button type="button" onClick={() => void deleted.fetchNextPage()} disabled={deleted.isFetchingNextPage}>
          {deleted.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </button>
      )}
    </Modal>
  );
}
