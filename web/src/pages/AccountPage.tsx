import { useState } from 'react';
import { useNavigate } from 'react-router';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { Field } from '../components/Field';
import { QueryList, QueryView } from '../components/QueryList';
import { ShownOnce } from '../components/ShownOnce';
import { download } from '../lib/download';
import { formatTime } from '../lib/format';
import {
  exportMe,
  useCreatePersonalToken,
  useDeleteMe,
  useMe,
  usePersonalTokens,
  useRevokePersonalToken,
  useRevokeSession,
  useSessions,
  useUpdateMe,
} from '../lib/queries/me';
import { useToast } from '../lib/toast';

export default function AccountPage() {
  return (
    <section className="stack">
      <h1>Account</h1>
      <Profile />
      <Password />
      <Sessions />
      <PersonalTokens />
      <MyData />
    </section>
  );
}

function Profile() {
  const me = useMe();
  const update = useUpdateMe();
  const toast = useToast();
  const [name, setName] = useState(me.data?.name ?? '');
  const [email, setEmail] = useState(me.data?.email ?? '');
  const [password, setPassword] = useState('');
  const emailChanged = me.data !== undefined && email !== me.data.email;
  return (
    <form
      className="card stack"
      aria-labelledby="profile-title"
      onSubmit={(e) => {
        e.preventDefault();
        update.mutate(emailChanged ? { name, email, current_password: password } : { name }, {
          onSuccess: () => {
            setPassword('');
            toast.success('Profile saved.');
          },
          onError: (err) => toast.error(err),
        });
      }}
    >
      <h2 id="profile-title">Profile</h2>
      <Field label="Name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} autoComplete="name" />
      <Field label="Email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="email" />
      {emailChanged && (
        <Field
          label="Current password"
          type="password"
          required
          autoComplete="current-password"
          hint="Needed to change your email."
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={update.isPending}>
          Save profile
        </button>
      </div>
    </form>
  );
}

function Password() {
  const update = useUpdateMe();
  const toast = useToast();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  return (
    <form
      className="card stack"
      aria-labelledby="password-title"
      onSubmit={(e) => {
        e.preventDefault();
        update.mutate(
          { current_password: current, new_password: next },
          {
            onSuccess: () => {
              setCurrent('');
              setNext('');
              toast.success('Password changed. Your other sessions were signed out.');
            },
            onError: (err) => toast.error(err),
          },
        );
      }}
    >
      <h2 id="password-title">Password</h2>
      <Field label="Current password" type="password" required autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} />
      <Field
        label="New password"
        type="password"
        required
        minLength={12}
        maxLength={72}
        autoComplete="new-password"
        hint="12 to 72 characters. Changing it signs out your other sessions."
        value={next}
        onChange={(e) => setNext(e.target.value)}
      />
      <div className="actions">
        <button type="submit" className="primary" disabled={update.isPending}>
          Change password
        </button>
      </div>
    </form>
  );
}

function Sessions() {
  const sessions = useSessions();
  const revoke = useRevokeSession();
  const toast = useToast();
  return (
    <section className="card stack" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions</h2>
      {/* Never empty: the list has this session. */}
      <QueryView query={sessions} loading="Loading sessions" rows={2}>
        {(items) => (
          <ul className="list">
            {items.map((s) => (
              <li key={s.id} className="list-row">
                <div className="grow">
                  <div className="ua">{s.user_agent || 'Unknown device'}</div>
                  <div className="muted small">
                    {s.ip} · signed in {formatTime(s.created_at)} · last seen {formatTime(s.last_seen_at)}
                  </div>
                </div>
                {s.current ? (
                  <span className="badge">This device</span>
                ) : (
                  <button
                    type="button"
                    className="button-small danger"
                    onClick={() => revoke.mutate(s.id, { onSuccess: () => toast.success('Session ended.'), onError: (e) => toast.error(e) })}
                  >
                    Sign out
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </QueryView>
    </section>
  );
}

function PersonalTokens() {
  const tokens = usePersonalTokens();
  const create = useCreatePersonalToken();
  const revoke = useRevokePersonalToken();
  const toast = useToast();
  const [name, setName] = useState('');
  const [secret, setSecret] = useState<string | null>(null);
  return (
    <section className="card stack" aria-labelledby="pat-title">
      <h2 id="pat-title">Personal access tokens</h2>
      <p className="muted">For the CLI and scripts; a token acts as you.</p>
      {secret ? (
        <ShownOnce secret={secret} onDone={() => setSecret(null)} />
      ) : (
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate({ name }, { onSuccess: (r) => { setName(''); setSecret(r.secret); }, onError: (err) => toast.error(err) });
          }}
        >
          <Field label="Token name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
          <button type="submit" className="primary" disabled={create.isPending}>
            Create token
          </button>
        </form>
      )}
      <QueryList query={tokens} loading="Loading tokens" rows={2} empty="No personal tokens.">
        {(items) => (
          <ul className="list">
            {items.map((t) => (
              <li key={t.id} className="list-row">
                <div className="grow">
                  <div>{t.name}</div>
                  <div className="muted small">
                    created {formatTime(t.created_at)} · last used {t.last_used_at ? formatTime(t.last_used_at) : 'never'}
                  </div>
                </div>
                <button
                  type="button"
                  className="button-small danger"
                  aria-label={`Revoke ${t.name}`}
                  onClick={() => revoke.mutate(t.id, { onSuccess: () => toast.success(`${t.name} revoked.`), onError: (e) => toast.error(e) })}
                >
                  Revoke
                </button>
              </li>
            ))}
          </ul>
        )}
      </QueryList>
    </section>
  );
}

function MyData() {
  const me = useMe();
  const del = useDeleteMe();
  const toast = useToast();
  const navigate = useNavigate();
  const [confirming, setConfirming] = useState(false);
  const [password, setPassword] = useState('');
  return (
    <section className="card stack" aria-labelledby="data-title">
      <h2 id="data-title">Your data</h2>
      <div className="row">
        <button
          type="button"
          onClick={() =>
            exportMe().then(
              (data) => download('coffer-my-data.json', JSON.stringify(data, null, 2), 'application/json'),
              (e: unknown) => toast.error(e),
            )
          }
        >
          Export my data
        </button>
        <button type="button" className="danger" onClick={() => setConfirming(true)}>
          Delete my account
        </button>
      </div>
      {confirming && me.data && (
        <ConfirmDialog
          title="Delete your account?"
          confirmLabel="Delete my account"
          typeToConfirm={me.data.email}
          busy={del.isPending}
          onClose={() => setConfirming(false)}
          onConfirm={() =>
            del.mutate(password, {
              onSuccess: () => navigate('/login', { replace: true }),
              onError: (e) => toast.error(e),
            })
          }
        >
          <p>Your account, sessions and tokens are erased. You cannot delete it while you are the last owner of a project.</p>
          <Field label="Password" type="password" required autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </ConfirmDialog>
      )}
    </section>
  );
}
