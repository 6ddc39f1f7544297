import { useId, useState } from 'react';
import { useParams } from 'react-router';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { Field } from '../components/Field';
import { ShownOnce } from '../components/ShownOnce';
import { QueryList } from '../components/QueryList';
import { Table } from '../components/Table';
import type { Schemas } from '../lib/api';
import { expiryAt, expiryChoices, dayValue, type ExpiryChoice } from '../lib/expiry';
import { formatRelative, formatTime } from '../lib/format';
import { useEnvironments } from '../lib/queries/environments';
import { useCreateServiceToken, useRevokeServiceToken, useServiceTokens } from '../lib/queries/tokens';
import { useToast } from '../lib/toast';
import { useNow } from '../lib/useNow';

type Token = Schemas['ServiceToken'];

/** Service tokens of a project: create (shown once), list, revoke. */
export default function TokensPage() {
  const { project = '' } = useParams();
  const tokens = useServiceTokens(project);
  const revoke = useRevokeServiceToken(project);
  const toast = useToast();
  const [secret, setSecret] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<Token | null>(null);
  const now = useNow();
  return (
    <div className="stack">
      <h2>Service tokens</h2>
      <p className="muted">Tokens let services and CI read (or write) the secrets of chosen environments.</p>
      {secret ? <ShownOnce secret={secret} onDone={() => setSecret(null)} /> : <CreateToken project={project} onCreated={setSecret} />}
      <QueryList query={tokens} loading="Loading tokens" rows={2} empty="No service tokens.">
        {(items) => (
          <Table caption={`Service tokens of ${project}`} columns={['Name', 'Scope', 'Last used', 'Expires']} actions>
            {items.map((t) => (
              <tr key={t.id}>
                <th scope="row">{t.name}</th>
                <td data-label="Scope">
                  {t.environments.join(', ')} · {t.access === 'read' ? 'read' : 'read & write'}
                </td>
                <td data-label="Last used">
                  <When iso={t.last_used_at} none="Never" now={now} />
                </td>
                <td data-label="Expires">
                  <Expiry iso={t.expires_at} now={now} />
                </td>
                <td className="row-actions">
                  <button type="button" className="button-small danger" aria-label={`Revoke ${t.name}`} onClick={() => setRevoking(t)}>
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </Table>
        )}
      </QueryList>
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
  const [expiry, setExpiry] = useState<ExpiryChoice>('never');
  const [day, setDay] = useState('');
  const now = useNow();
  return (
    <form
      className="card stack"
      aria-label="Create a service token"
      onSubmit={(e) => {
        e.preventDefault();
        // Computed now, not when the choice was made: "in 30 days" from the moment of creation.
        const at = expiryAt(expiry, day, new Date());
        if (at === undefined) return;
        create.mutate(
          { name, environments: scope, access, ...(at ? { expires_at: at.toISOString() } : {}) },
          {
            onSuccess: (r) => {
              setName('');
              setScope([]);
              setExpiry('never');
              setDay('');
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
      <ExpiryField choice={expiry} day={day} now={now} onChoice={setExpiry} onDay={setDay} />
      <div className="actions">
        <button
          type="submit"
          className="primary"
          disabled={create.isPending || scope.length === 0 || expiryAt(expiry, day, new Date(now)) === undefined}
        >
          Create token
        </button>
      </div>
    </form>
  );
}

/** The expiry of a new token: never, a preset, or a picked day; the hint
 * says when exactly it ends. */
type ExpiryProps = {
  choice: ExpiryChoice;
  day: string;
  now: number;
  onChoice: (c: ExpiryChoice) => void;
  onDay: (d: string) => void;
};

function ExpiryField({ choice, day, now, onChoice, onDay }: ExpiryProps) {
  const id = useId();
  const at = expiryAt(choice, day, new Date(now));
  const hint =
    at === null
      ? 'The token works until it is revoked.'
      : at === undefined
        ? 'Pick a day from today on.'
        : `The token stops working on ${formatTime(at.toISOString())}.`;
  return (
    <div className="row expiry">
      <div className="field">
        <label htmlFor={`${id}-choice`}>Expires</label>
        <select
          id={`${id}-choice`}
          aria-describedby={`${id}-hint`}
          value={choice}
          onChange={(e) => onChoice(expiryChoices.find((c) => c.value === e.target.value)?.value ?? 'never')}
        >
          {expiryChoices.map((c) => (
            <option key={c.value} value={c.value}>
              {c.label}
            </option>
          ))}
        </select>
      </div>
      {choice === 'date' && (
        <div className="field">
          <label htmlFor={`${id}-day`}>Expiry date</label>
          <input
            id={`${id}-day`}
            type="date"
            required
            min={dayValue(new Date(now))}
            aria-describedby={`${id}-hint`}
            value={day}
            onChange={(e) => onDay(e.target.value)}
          />
        </div>
      )}
      <small id={`${id}-hint`} className="muted expiry-hint">
        {hint}
      </small>
    </div>
  );
}

/** A past or future moment as a date and how far it is from now. */
function When({ iso, none, now }: { iso: string | undefined; none: string; now: number }) {
  if (!iso) return <>{none}</>;
  return (
    <>
      <time dateTime={iso}>{formatTime(iso)}</time>
      <span className="muted small"> · {formatRelative(iso, now)}</span>
    </>
  );
}

function Expiry({ iso, now }: { iso: string | undefined; now: number }) {
  if (iso && new Date(iso).getTime() <= now) {
    return (
      <>
        <span className="badge badge-danger">Expired</span> <time dateTime={iso}>{formatTime(iso)}</time>
      </>
    );
  }
  return <When iso={iso} none="Never" now={now} />;
}
