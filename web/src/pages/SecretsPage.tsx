import { useDeferredValue, useId, useState } from 'react';
import { useParams } from 'react-router';
import { EmptyState } from '../components/EmptyState';
import { ImportDialog } from '../components/ImportDialog';
import { QueryView } from '../components/QueryList';
import { RestoreDialog } from '../components/RestoreDialog';
import { SecretForm } from '../components/SecretForm';
import { SecretHistory } from '../components/SecretHistory';
import { SecretRow } from '../components/SecretRow';
import { Table } from '../components/Table';
import { download } from '../lib/download';
import { useProject } from '../lib/queries/projects';
import { exportSecrets, useDeleteSecret, usePutSecret, useSecrets } from '../lib/queries/secrets';
import { useToast } from '../lib/toast';

/** The secrets of one environment: a searchable, masked table. */
export default function SecretsPage() {
  const { project = '', env = '' } = useParams();
  const where = { project, env };
  const secrets = useSecrets(where);
  const role = useProject(project).data?.role;
  const canWrite = role !== undefined && role !== 'viewer';
  const [query, setQuery] = useState('');
  const deferred = useDeferredValue(query.trim().toLowerCase());
  const [revealAll, setRevealAll] = useState(false);
  const [adding, setAdding] = useState(false);
  const [importing, setImporting] = useState(false);
  const [restoring, setRestoring] = useState(false);
  const [history, setHistory] = useState<string | null>(null);
  const put = usePutSecret(where);
  const del = useDeleteSecret(where);
  const toast = useToast();
  const searchId = useId();

  const rows = (secrets.data?.secrets ?? []).filter(
    (s) => !deferred || s.key.toLowerCase().includes(deferred) || s.comment.toLowerCase().includes(deferred),
  );

  const exportAs = (format: 'dotenv' | 'json') =>
    exportSecrets(where, format).then(
      (text) =>
        format === 'dotenv'
          ? download(`${project}-${env}.env`, text, 'text/plain')
          : download(`${project}-${env}.json`, text, 'application/json'),
      (e: unknown) => toast.error(e),
    );

  return (
    <div className="stack" key={`${project}/${env}`}>
      <div className="toolbar">
        <div className="field search">
          <label htmlFor={searchId} className="visually-hidden">
            Search secrets by key or comment
          </label>
          <input
            id={searchId}
            type="search"
            placeholder="Search keys and comments"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
        </div>
        <button type="button" aria-pressed={revealAll} onClick={() => setRevealAll(!revealAll)}>
          {revealAll ? 'Hide all' : 'Reveal all'}
        </button>
        {/* Shown, disabled, until the role is known, so that the toolbar
            does not reflow under the reader when they appear. */}
        {(canWrite || role === undefined) && (
          <>
            <button type="button" className="primary" onClick={() => setAdding(true)} disabled={adding || !canWrite}>
              Add secret
            </button>
            <button type="button" onClick={() => setImporting(true)} disabled={!canWrite}>
              Import .env
            </button>
            <button type="button" onClick={() => setRestoring(true)} disabled={!canWrite}>
              Restore deleted
            </button>
          </>
        )}
        <button type="button" onClick={() => void exportAs('dotenv')}>
          Export .env
        </button>
        <button type="button" onClick={() => void exportAs('json')}>
          Export JSON
        </button>
      </div>

      {adding && (
        <SecretForm
          title="New secret"
          busy={put.isPending}
          onCancel={() => setAdding(false)}
          onSave={(input) => {
            setAdding(false);
            put.mutate(input, {
              onSuccess: () => toast.success(`${input.key} saved.`),
              onError: (e) => toast.error(e),
            });
          }}
        />
      )}

      <QueryView query={secrets} loading="Loading secrets" rows={5}>
        {(bundle) =>
          bundle.secrets.length === 0 ? (
            <EmptyState title="No secrets in this environment yet.">
              {canWrite && <p className="muted">Add one, or import a .env file.</p>}
            </EmptyState>
          ) : rows.length === 0 ? (
            <EmptyState title="No secret matches your search." />
          ) : (
            <Table
              className="secrets"
              caption={`Secrets of ${env}, revision ${bundle.revision}`}
              columns={['Key', 'Value', 'Comment', 'Version']}
              actions
            >
              {rows.map((s) => (
                <SecretRow
                  key={s.key}
                  where={where}
                  secret={s}
                  revealAll={revealAll}
                  canWrite={canWrite}
                  onHistory={() => setHistory(s.key)}
                  onDelete={() =>
                    del.mutate(s.key, {
                      onSuccess: () => toast.success(`${s.key} deleted.`),
                      onError: (e) => toast.error(e),
                    })
                  }
                />
              ))}
            </Table>
          )
        }
      </QueryView>

      {importing && <ImportDialog where={where} onClose={() => setImporting(false)} />}
      {restoring && (
        <RestoreDialog
          where={where}
          onClose={() => setRestoring(false)}
          onHistory={(key) => {
            setRestoring(false);
            setHistory(key);
          }}
        />
      )}
      {history && (
        <SecretHistory where={where} secretKey={history} canWrite={canWrite} onClose={() => setHistory(null)} />
      )}
    </div>
  );
}
