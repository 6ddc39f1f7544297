import { useRef, useState } from 'react';
import { useParams } from 'react-router';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { Field } from '../components/Field';
import { QueryList } from '../components/QueryList';
import { Table } from '../components/Table';
import type { Schemas } from '../lib/api';
import { formatTime } from '../lib/format';
import {
  useCreateEnvironment,
  useDeleteEnvironment,
  useEnvironments,
  useRenameEnvironment,
} from '../lib/queries/environments';
import { useProject } from '../lib/queries/projects';
import { atLeast } from '../lib/roles';
import { useToast } from '../lib/toast';

type Environment = Schemas['Environment'];

/** The environments of a project: create, rename, delete (typing its slug). */
export default function EnvironmentsPage() {
  const { project = '' } = useParams();
  const envs = useEnvironments(project);
  const canManage = atLeast(useProject(project).data?.role, 'admin');
  const remove = useDeleteEnvironment(project);
  const toast = useToast();
  const [deleting, setDeleting] = useState<Environment | null>(null);
  return (
    <div className="stack">
      <h2>Environments</h2>
      {canManage && <CreateEnvironment project={project} />}
      <QueryList query={envs} loading="Loading environments" empty="This project has no environments.">
        {(items) => (
          <Table caption={`Environments of ${project}`} columns={['Name', 'Slug', 'Revision', 'Created']} actions>
            {items.map((e) => (
              <EnvironmentRow key={e.id} project={project} env={e} canManage={canManage} onDelete={() => setDeleting(e)} />
            ))}
          </Table>
        )}
      </QueryList>
      {deleting && (
        <ConfirmDialog
          title={`Delete ${deleting.name}?`}
          confirmLabel="Delete environment"
          typeToConfirm={deleting.slug}
          busy={remove.isPending}
          onClose={() => setDeleting(null)}
          onConfirm={() => {
            const env = deleting;
            setDeleting(null);
            remove.mutate(env.slug, {
              onSuccess: () => toast.success(`Environment ${env.slug} deleted.`),
              onError: (e) => toast.error(e),
            });
          }}
        >
          <p>
            Its secrets and their history are deleted, and service tokens lose access to it. This cannot be undone.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

type RowProps = { project: string; env: Environment; canManage: boolean; onDelete: () => void };

function EnvironmentRow({ project, env, canManage, onDelete }: RowProps) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(env.name);
  const rename = useRenameEnvironment(project);
  const toast = useToast();
  // Keyboard users land back on Rename when the form closes.
  const refocus = useRef(false);
  const stopEditing = () => {
    refocus.current = true;
    setEditing(false);
  };
  if (editing) {
    return (
      <tr>
        <td colSpan={5}>
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault();
              stopEditing();
              rename.mutate(
                { env: env.slug, name: name.trim() },
                { onSuccess: (r) => toast.success(`Environment ${r.slug} is now called ${r.name}.`), onError: (err) => toast.error(err) },
              );
            }}
          >
            <Field
              label={`New name for ${env.slug}`}
              required
              maxLength={100}
              value={name}
              onChange={(e) => setName(e.target.value)}
              autoFocus
            />
            <div className="actions">
              <button type="submit" className="primary">
                Save
              </button>
              <button type="button" onClick={stopEditing}>
                Cancel
              </button>
            </div>
          </form>
        </td>
      </tr>
    );
  }
  return (
    <tr>
      <th scope="row">{env.name}</th>
      <td data-label="Slug" className="literal">
        {env.slug}
      </td>
      <td data-label="Revision">{env.revision}</td>
      <td data-label="Created" className="small muted">
        {formatTime(env.created_at)}
      </td>
      <td className="row-actions">
        {canManage && (
          <>
            <button
              type="button"
              className="button-small"
              aria-label={`Rename ${env.name}`}
              ref={(el) => {
                if (el && refocus.current) {
                  refocus.current = false;
                  el.focus();
                }
              }}
              onClick={() => {
                setName(env.name);
                setEditing(true);
              }}
            >
              Rename
            </button>
            <button type="button" className="button-small danger" aria-label={`Delete ${env.name}`} onClick={onDelete}>
              Delete
            </button>
          </>
        )}
      </td>
    </tr>
  );
}

function CreateEnvironment({ project }: { project: string }) {
  const create = useCreateEnvironment(project);
  const toast = useToast();
  const [slug, setSlug] = useState('');
  const [name, setName] = useState('');
  return (
    <form
      className="card inline-form"
      aria-label="Create an environment"
      onSubmit={(e) => {
        e.preventDefault();
        const trimmed = name.trim();
        create.mutate(trimmed ? { slug, name: trimmed } : { slug }, {
          onSuccess: (env) => {
            toast.success(`Environment ${env.name} created.`);
            setSlug('');
            setName('');
          },
          onError: (err) => toast.error(err),
        });
      }}
    >
      <Field
        label="Environment slug"
        required
        maxLength={63}
        pattern="[a-z0-9][a-z0-9\-]{0,62}"
        title="Lower-case letters, digits and dashes"
        hint="Used in URLs, tokens and the CLI, e.g. qa."
        value={slug}
        onChange={(e) => setSlug(e.target.value)}
      />
      <Field
        label="Environment name (optional)"
        maxLength={100}
        hint="Shown on the tab; the slug when empty."
        value={name}
        onChange={(e) => setName(e.target.value)}
      />
      <button type="submit" className="primary" disabled={create.isPending}>
        Create environment
      </button>
    </form>
  );
}
