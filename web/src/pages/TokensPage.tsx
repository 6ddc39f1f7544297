import { useState } from 'react';
import { useParams } from 'react-router';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { EmptyState } from '../components/EmptyState';
import { ErrorState } from '../components/ErrorState';
import { Field } from '../components/Field';
import { ShownOnce } from '../components/ShownOnce';
import { Skeleton } from '../components/Skeleton';
import type { Schemas } from '../lib/api';
import { formatTime } from '../lib/format';
import { useEnvironments } from '../lib/queries/projects';
import { useCreateServiceToken, useRevokeServiceToken, useServiceTokens } from '../lib/queries/tokens';
import { useToast } from '../lib/toast';

type Token = Schemas['ServiceToken'];

/** Service tokens of a project: create (shown once), list, revoke. */
export default function TokensPage() {
  const { project = '' } = useParams();
  const tokens = useServiceTokens(project);
  const revoke = useRevokeServiceToken(project);
  const toast = useToast();
  const [secret, setSecret] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<Token | null>(null);
  return (
    <div className="stack">
      <h2>Service tokens</h2>
      <p className="muted">Tokens let services and CI read (or write) the secrets of chosen environments.</p>
      {secret ? <ShownOnce secret={secret} onDone={() => setSecret(null)} /> : <CreateToken project={project} onCreated={setSecret} />}
      {tokens.isPending ? (
        <Skeleton rows={2} label="Loading tokens" />
      ) : tokens.isError ? (
        <ErrorState error={tokens.error} retry={() => void tokens.refetch()} />
      ) : tokens.data.length === 0 ? (
        <EmptyState title="No service tokens." />
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Scope</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.data.map((t) => (
                <tr key={t.id}>
                  <th scope="row">{t.name}</th>
                  <td data-label="Scope">
                    {t.environments.join(', ')} · {t.access === 'read' ? 'read' : 'read & write'}
                  </td>
                  <td data-label="Last used">{t.last_used_at ? formatTime(t.last_used_at) : 'Never'}</td>
                  <td data-label="Expires">{t.expires_at ? formatTime(t.expires_at) : 'Never'}</td>
                  <td className="row-actions">
                    <button type="button" className="button-small danger" aria-label={`Revoke ${t.name}`} onClick={() => setRevoking(t)}>
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {revoking && (
        <ConfirmDialog
          title={`Revoke ${revoking.name}?`}
          confirmLabel="Revoke token"
          onClose={() => setRevoking(null)}
          onConfirm={() => {
            const t = revoking;
            setRevoking(null);
            revoke.mutate(t.id, {
              onSuccess: () => toast.success(`${t.name} revoked.`),
              onError: (e) => toast.error(e),
            });
          }}
        >
          <p>Services using it lose access at once.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function CreateToken({ project, onCreated }: { project: string; onCreated: (secret: string) => void }) {
  const envs = useEnvironments(project);
  const create = useCreateServiceToken(project);
  const toast = useToast();
  const [name, setName] = useState('');
  const [scope, setScope] = useState<string[]>([]);
  const [access, setAccess] = useState<Schemas['Access']>('read');
  const [expires, setExpires] = useState('');
  return (
    <form
      className="card stack"
      aria-label="Create a service token"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate(
          { name, environments: scope, access, ...(expires ? { expires_at: new Date(expires).toISOString() } : {}) },
          {
            onSuccess: (r) => {
              setName('');
              setScope([]);
              onCreated(r.secret);
            },
            onError: (err) => toast.error(err),
          },
        );
      }}
    >
      <Field label="Token name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
      <fieldset>
        <legend>Environments</legend>
        {envs.data?.map((env) => (
          <label key={env.id} className="checkbox">
            <input
              type="checkbox"
              checked={scope.includes(env.slug)}
              onChange={(e) => setScope(e.target.checked ? [...scope, env.slug] : scope.filter((s) => s !== env.slug))}
            />
            {env.name}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>Access</legend>
        <label className="checkbox">
          <input type="radio" name="access" checked={access === 'read'} onChange={() => setAccess('read')} />
          Read
        </label>
        <label className="checkbox">
          <input type="radio" name="access" checked={access === 'read_write'} onChange={() => setAccess('read_write')} />
          Read and write
        </label>
      </fieldset>
      <Field label="Expires (optional)" type="date" value={expires} onChange={(e) => setExpires(e.target.value)} />
      <div className="actions">
        <button type="submit" className="primary" disabled={create.isPending || scope.length === 0}>
          Create token
        </button>
      </div>
    </form>
  );
}
