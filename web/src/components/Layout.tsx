import { Suspense } from 'react';
import { Link, NavLink, Outlet, useNavigate } from 'react-router';
import { useLogout, useMe } from '../lib/queries/me';
import { useToast } from '../lib/toast';
import { Skeleton } from './Skeleton';

/** The signed-in frame: skip link, header navigation, main, footer. */
export function Layout() {
  const me = useMe();
  const logout = useLogout();
  const navigate = useNavigate();
  const toast = useToast();
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/projects" className="brand">
          Coffer
        </Link>
        <nav aria-label="Main">
          <NavLink to="/projects">Projects</NavLink>
          <NavLink to="/account">Account</NavLink>
        </nav>
        <div className="topbar-user">
          {me.data && <span className="muted user-name">{me.data.name}</span>}
          <button
            type="button"
            onClick={() =>
              logout.mutate(undefined, {
                onSuccess: () => navigate('/login', { replace: true }),
                onError: (e) => toast.error(e),
              })
            }
          >
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<Skeleton rows={4} />}>
          <Outlet />
        </Suspense>
      </main>
      <Footer />
    </div>
  );
}

export function Footer() {
  return (
    <footer className="footer">
      <Link to="/privacy">Privacy</Link>
      {/* A page of its own (Swagger UI, a separate entry): a full load. */}
      <a href="/api/docs">API reference</a>
    </footer>
  );
}
