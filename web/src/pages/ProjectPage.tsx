import { Link, Navigate, NavLink, Outlet, useParams } from 'react-router';
import { ErrorState } from '../components/ErrorState';
import { LiveIndicator } from '../components/LiveIndicator';
import { QueryList } from '../components/QueryList';
import { Skeleton } from '../components/Skeleton';
import { useEnvironments } from '../lib/queries/environments';
import { useProject } from '../lib/queries/projects';
import { atLeast } from '../lib/roles';
import { useLiveFeed } from '../lib/useLiveFeed';

/** A project: its name, a tab per environment, members, and for admins
 * environments, tokens and audit. Everything on it follows the live feed. */
export default function ProjectPage() {
  const { project = '' } = useParams();
  const info = useProject(project);
  const envs = useEnvironments(project);
  const live = useLiveFeed(project, envs.data);
  const canAdmin = atLeast(info.data?.role, 'admin');
  if (info.isError) return <ErrorState error={info.error} retry={() => void info.refetch()} />;
  return (
    <section className="stack">
      <div className="project-head">
        <div className="grow">
          <h1>{info.data?.name ?? project}</h1>
          {/* Always there, so the tabs below do not jump when it fills in. */}
          <p className="muted small">{info.data ? `${info.data.slug} · your role: ${info.data.role}` : '\u00a0'}</p>
        </div>
        <LiveIndicator status={live} />
      </div>
      <nav className="tabs" aria-label="Environments and project tools">
        {envs.isPending && <Skeleton rows={1} label="Loading environments" />}
        {envs.data?.map((e) => (
          <NavLink key={e.id} to={`env/${e.slug}`} className="tab">
            {e.name}
          </NavLink>
        ))}
        <span className="tab-sep" aria-hidden="true" />
        <NavLink to="members" className="tab">
          Members
        </NavLink>
        {canAdmin && (
          <>
            <NavLink to="environments" className="tab">
              Environments
            </NavLink>
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
  const canAdmin = atLeast(useProject(project).data?.role, 'admin');
  return (
    <QueryList
      query={envs}
      loading="Loading environments"
      rows={4}
      empty="This project has no environments."
      emptyHint={canAdmin && <Link to="environments">Create one under Environments</Link>}
    >
      {([first]) => first && <Navigate to={`env/${first.slug}`} replace />}
    </QueryList>
  );
}
