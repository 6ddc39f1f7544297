import { useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { Field } from '../components/Field';
import { errorMessage } from '../lib/problem';
import { useSignup } from '../lib/queries/me';
import { useToast } from '../lib/toast';
import { returnPath } from '../lib/useUnauthorizedRedirect';
import { AuthFrame } from './AuthFrame';

/** Sign-up; as `firstRun`, the set-up page of a new instance, whose first
 * account becomes its administrator. */
export default function SignupPage({ firstRun = false }: { firstRun?: boolean }) {
  const signup = useSignup();
  const navigate = useNavigate();
  const location = useLocation();
  const toast = useToast();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  return (
    <AuthFrame title={firstRun ? 'Set up Coffer' : 'Create an account'}>
      {firstRun && (
        <p>The first account of this Coffer becomes its administrator. Choose a strong password: it protects every secret.</p>
      )}
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          signup.mutate(
            { name, email, password },
            {
              onSuccess: (s) => {
                if (s.user.is_admin) toast.success('Welcome! You are the administrator of this Coffer.');
                navigate(returnPath(location.state), { replace: true });
              },
            },
          );
        }}
      >
        <Field label="Name" autoComplete="name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
        <Field label="Email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <Field
          label="Password"
          type="password"
          autoComplete="new-password"
          required
          minLength={12}
          maxLength={72}
          hint="12 to 72 characters; common passwords are refused."
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {signup.isError && (
          <p className="form-error" role="alert">
            {errorMessage(signup.error)}
          </p>
        )}
        <button type="submit" className="primary" disabled={signup.isPending}>
          {firstRun ? 'Create administrator account' : 'Create account'}
        </button>
      </form>
      <p className="muted">
        Already have an account? <Link to="/login">Sign in</Link>.
      </p>
    </AuthFrame>
  );
}
