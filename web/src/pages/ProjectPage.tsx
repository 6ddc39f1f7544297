import { Navigate, NavLink, Outlet, useParams } from 'react-router';
import { ErrorState } from '../components/ErrorState';
import { Skeleton } from '../components/Skeleton';
import { useEnvironments, useProject } from '../lib/queries/projects';

/** A project: its name and a tab per environment, plus tokens and audit. */
export default function ProjectPage() {
  const { project = '' } = useParams();
  const info = useProject(project);
  const envs = useEnvironments(project);
  const canAdmin = info.data?.role === 'owner' || info.data?.role === 'admin';
  if (info.isError) return <ErrorState error={info.error} retry={() => void info.refetch()} />;
  return (
    <section className="stack">
      <div>
        <h1>{info.data?.name ?? project}</h1>
        {info.data && <p className="muted small">{info.data.slug} · your role: {info.data.role}</p>}
      </div>
      <nav className="tabs" aria-label="Environments and project tools">
        {envs.isPending && <Skeleton rows={1} label="Loading environments" />}
        {envs.data?.map((e) => (
          <NavLink key={e.id} to={`env/${e.slug}`} className="tab">
            {e.name}
          </NavLink>
        ))}
        {canAdmin && (
          <>
            <span className="tab-sep" aria-hidden="true" />
            <NavLink to="tokens" className="tab">
              Service tokens
            </NavLink>
            <NavLink to="audit" className="tab">
              Audit log
            </NavLink>
          </>
        )}
      </nav>
      <Outlet />
    </section>
  );
}

/** The project's default view: its first environment. */
export function ProjectIndex() {
  const { project = '' } = useParams();
  const envs = useEnvironments(project);
  if (envs.isPending) return <Skeleton rows={4} />;
  if (envs.isError) return <ErrorState error={envs.error} />;
  const first = envs.data[0];
  if (!first) return <p className="muted">This project has no environments.</p>;
  return <Navigate to={`env/${first.slug}`} replace />;
}
