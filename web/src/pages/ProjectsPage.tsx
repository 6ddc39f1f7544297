import { useState } from 'react';
import { Link } from 'react-router';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { Field } from '../components/Field';
import { QueryList } from '../components/QueryList';
import type { Schemas } from '../lib/api';
import { useCreateProject, useDeleteProject, useProjects, useRenameProject } from '../lib/queries/projects';
import { useToast } from '../lib/toast';

type Project = Schemas['Project'];

export default function ProjectsPage() {
  const projects = useProjects();
  const [deleting, setDeleting] = useState<Project | null>(null);
  const remove = useDeleteProject();
  const toast = useToast();
  return (
    <section className="stack">
      <h1>Projects</h1>
      <CreateProject />
      <QueryList
        query={projects}
        loading="Loading projects"
        empty="No projects yet."
        emptyHint={<p className="muted">Create one above; it gets dev, staging and prod environments.</p>}
      >
        {(items) => (
          <ul className="list" aria-label="Your projects">
            {items.map((p) => (
              <ProjectRow key={p.id} project={p} onDelete={() => setDeleting(p)} />
            ))}
          </ul>
        )}
      </QueryList>
      {deleting && (
        <ConfirmDialog
          title={`Delete ${deleting.name}?`}
          confirmLabel="Delete project"
          typeToConfirm={deleting.slug}
          busy={remove.isPending}
          onClose={() => setDeleting(null)}
          onConfirm={() => {
            const slug = deleting.slug;
            setDeleting(null);
            remove.mutate(slug, {
              onSuccess: () => toast.success(`Project ${slug} deleted.`),
              onError: (e) => toast.error(e),
            });
          }}
        >
          <p>Its environments, secrets and service tokens are deleted too. This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function CreateProject() {
  const create = useCreateProject();
  const toast = useToast();
  const [slug, setSlug] = useState('');
  const [name, setName] = useState('');
  return (
    <form
      className="card inline-form"
      aria-label="Create a project"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate(
          { slug, name },
          {
            onSuccess: (p) => {
              toast.success(`Project ${p.name} created.`);
              setSlug('');
              setName('');
            },
            onError: (err) => toast.error(err),
          },
        );
      }}
    >
      <Field label="Name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
      <Field
        label="Slug"
        required
        pattern="[a-z0-9][a-z0-9\-]{0,62}"
        title="Lower-case letters, digits and dashes"
        hint="Used in URLs and the CLI, e.g. shop-api."
        value={slug}
        onChange={(e) => setSlug(e.target.value)}
      />
      <button type="submit" className="primary" disabled={create.isPending}>
        Create project
      </button>
    </form>
  );
}

function ProjectRow({ project, onDelete }: { project: Project; onDelete: () => void }) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(project.name);
  const rename = useRenameProject();
  const toast = useToast();
  const canAdmin = project.role === 'owner' || project.role === 'admin';
  if (editing) {
    return (
      <li className="list-row">
        <form
          className="row grow"
          onSubmit={(e) => {
            e.preventDefault();
            setEditing(false);
            rename.mutate({ slug: project.slug, name }, { onError: (err) => toast.error(err) });
          }}
        >
          <Field label={`New name for ${project.slug}`} required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} autoFocus />
          <button type="submit" className="primary">
            Save
          </button>
          <button type="button" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </form>
      </li>
    );
  }
  return (
    <li className="list-row">
      <div className="grow">
        <Link to={`/projects/${project.slug}`} className="strong">
          {project.name}
        </Link>
        <div className="muted small">
          {project.slug} · {project.role}
        </div>
      </div>
      {canAdmin && (
        <button type="button" className="button-small" aria-label={`Rename ${project.name}`} onClick={() => { setName(project.name); setEditing(true); }}>
          Rename
        </button>
      )}
      {project.role === 'owner' && (
        <button type="button" className="button-small danger" aria-label={`Delete ${project.name}`} onClick={onDelete}>
          Delete
        </button>
      )}
    </li>
  );
}
