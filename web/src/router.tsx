import { lazy, Suspense, type ReactNode } from 'react';
import { createBrowserRouter, Navigate, Outlet } from 'react-router';
import { Layout } from './components/Layout';
import { RequireAuth } from './components/RequireAuth';
import { Skeleton } from './components/Skeleton';
import { useUnauthorizedRedirect } from './lib/useUnauthorizedRedirect';
import { LoginPage } from './pages/LoginPage';

const SignupPage = lazy(() => import('./pages/SignupPage'));
const ProjectsPage = lazy(() => import('./pages/ProjectsPage'));
// A project opens on its secrets: fetch both chunks at once, not in turn.
const ProjectPage = lazy(() => {
  void import('./pages/SecretsPage');
  return import('./pages/ProjectPage');
});
const SecretsPage = lazy(() => import('./pages/SecretsPage'));
const TokensPage = lazy(() => import('./pages/TokensPage'));
const MembersPage = lazy(() => import('./pages/MembersPage'));
const EnvironmentsPage = lazy(() => import('./pages/EnvironmentsPage'));
const AuditPage = lazy(() => import('./pages/AuditPage'));
const AccountPage = lazy(() => import('./pages/AccountPage'));
const PrivacyPage = lazy(() => import('./pages/PrivacyPage'));
const NotFoundPage = lazy(() => import('./pages/NotFoundPage'));
const ProjectIndex = lazy(() => import('./pages/ProjectPage').then((m) => ({ default: m.ProjectIndex })));

function Root() {
  useUnauthorizedRedirect();
  return <Outlet />;
}

function Lazy({ children }: { children: ReactNode }) {
  return <Suspense fallback={<Skeleton rows={4} />}>{children}</Suspense>;
}

export const router = createBrowserRouter([
  {
    element: <Root />,
    children: [
      { path: '/', element: <Navigate to="/projects" replace /> },
      { path: '/login', element: <LoginPage /> },
      { path: '/signup', element: <Lazy><SignupPage /></Lazy> },
      { path: '/setup', element: <Lazy><SignupPage firstRun /></Lazy> },
      { path: '/privacy', element: <Lazy><PrivacyPage /></Lazy> },
      {
        element: (
          <RequireAuth>
            <Layout />
          </RequireAuth>
        ),
        children: [
          { path: '/projects', element: <ProjectsPage /> },
          {
            path: '/projects/:project',
            element: <ProjectPage />,
            children: [
              { index: true, element: <ProjectIndex /> },
              { path: 'env/:env', element: <SecretsPage /> },
              { path: 'members', element: <MembersPage /> },
              { path: 'environments', element: <EnvironmentsPage /> },
              { path: 'tokens', element: <TokensPage /> },
              { path: 'audit', element: <AuditPage /> },
            ],
          },
          { path: '/account', element: <AccountPage /> },
          { path: '*', element: <NotFoundPage /> },
        ],
      },
    ],
  },
]);
