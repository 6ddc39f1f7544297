import { useState } from 'react';
import { Link, Navigate, useLocation, useNavigate } from 'react-router';
import { Field } from '../components/Field';
import { errorMessage } from '../lib/problem';
import { useAuthStatus, useLogin } from '../lib/queries/me';
import { returnPath } from '../lib/useUnauthorizedRedirect';
import { AuthFrame } from './AuthFrame';

export function LoginPage() {
  const login = useLogin();
  const navigate = useNavigate();
  const location = useLocation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const status = useAuthStatus();
  // A new instance has no account to sign in to: its first visitor sets it up.
  if (status.data && !status.data.has_users) {
    return <Navigate to="/setup" replace />;
  }
  return (
    <AuthFrame title="Sign in">
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          login.mutate(
            { email, password },
            { onSuccess: () => navigate(returnPath(location.state), { replace: true }) },
          );
        }}
      >
        <Field label="Email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <Field
          label="Password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {login.isError && (
          <p className="form-error" role="alert">
            {errorMessage(login.error)}
          </p>
        )}
        <button type="submit" className="primary" disabled={login.isPending}>
          {login.isPending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p className="muted">
        {status.data?.signup_mode !== 'closed' && (
          <>
            No account? <Link to="/signup" state={location.state}>Create one</Link>.
          </>
        )}
      </p>
    </AuthFrame>
  );
}
