import { useId, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { useNavigate, useParams } from 'react-router';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorState } from '../components/ErrorState';
import { Field } from '../components/Field';
import { QueryList } from '../components/QueryList';
import { Table } from '../components/Table';
import type { Schemas } from '../lib/api';
import { formatTime } from '../lib/format';
import { useAuthStatus, useMe } from '../lib/queries/me';
import {
  useAddMember,
  useInvitations,
  useMembers,
  useRemoveMember,
  useRevokeInvitation,
  useUpdateMember,
} from '../lib/queries/members';
import { projectKey, projectsKey, useProject } from '../lib/queries/projects';
import { atLeast, memberControls, parseRole, type Role } from '../lib/roles';
import { useToast } from '../lib/toast';

type Member = Schemas['Member'];

const roleHelp =
  'Viewers read secrets; developers also change them; admins also manage members, environments, ' +
  'service tokens and the audit log; owners also manage owners and may delete the project.';

/** The members of a project and their roles: add, change, remove, leave.
 * Controls the caller's role does not allow are not offered. */
export default function MembersPage() {
  const { project = '' } = useParams();
  const members = useMembers(project);
  const caller = useProject(project).data?.role;
  const me = useMe().data?.id;
  const remove = useRemoveMember(project);
  const toast = useToast();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [removing, setRemoving] = useState<Member | null>(null);
  const leaving = removing !== null && removing.user_id === me;

  return (
    <div className="stack">
      <h2>Members</h2>
      <p className="muted">{roleHelp}</p>
      {atLeast(caller, 'admin') && <AddMember project={project} grantable={memberControls(caller, 'viewer', false).grantable} />}
      <QueryList query={members} loading="Loading members" empty="No members.">
        {(items) => (
          <Table caption={`Members of ${project}`} columns={['Name', 'Email', 'Role', 'Member since']} actions>
            {items.map((m) => (
              <MemberRow
                key={m.user_id}
                project={project}
                member={m}
                isSelf={m.user_id === me}
                controls={memberControls(caller, m.role, m.user_id === me)}
                onRemove={() => setRemoving(m)}
              />
            ))}
          </Table>
        )}
      </QueryList>
      <PendingInvitations project={project} caller={caller} />
      {removing && (
        <ConfirmDialog
          title={leaving ? `Leave ${project}?` : `Remove ${removing.name || removing.email}?`}
          confirmLabel={leaving ? 'Leave project' : 'Remove member'}
          busy={remove.isPending}
          onClose={() => setRemoving(null)}
          onConfirm={() => {
            const m = removing;
            const self = leaving;
            setRemoving(null);
            remove.mutate(m.user_id, {
              onSuccess: () => {
                if (self) {
                  qc.removeQueries({ queryKey: projectKey(project) });
                  void qc.invalidateQueries({ queryKey: projectsKey });
                  toast.success(`You left ${project}.`);
                  navigate('/projects', { replace: true });
                } else {
                  toast.success(`${m.email} removed.`);
                }
              },
              onError: (e) => toast.error(e),
            });
          }}
        >
          {leaving ? (
            <p>You lose access to its secrets at once. An admin can add you back.</p>
          ) : (
            <p>
              <span className="literal">{removing.email}</span> loses access to the secrets of this project at once.
            </p>
          )}
        </ConfirmDialog>
      )}
    </div>
  );
}

type RowProps = {
  project: string;
  member: Member;
  isSelf: boolean;
  controls: ReturnType<typeof memberControls>;
  onRemove: () => void;
};

function MemberRow({ project, member, isSelf, controls, onRemove }: RowProps) {
  // null: untouched, so the select follows the member's role as it changes.
  const [draft, setDraft] = useState<Role | null>(null);
  const update = useUpdateMember(project);
  const toast = useToast();
  const role = draft ?? member.role;
  const unchanged = role === member.role;
  return (
    <tr>
      <th scope="row">
        {member.name}
        {isSelf && <span className="muted"> (you)</span>}
      </th>
      <td data-label="Email" className="literal">
        {member.email}
      </td>
      <td data-label="Role">
        {controls.changeRole ? (
          <form
            className="row role-form"
            onSubmit={(e) => {
              e.preventDefault();
              if (unchanged || update.isPending) return;
              update.mutate(
                { userId: member.user_id, role },
                {
                  onSuccess: (m) => toast.success(`${m.email} is now ${m.role}.`),
                  onError: (err) => toast.error(err),
                  onSettled: () => setDraft(null),
                },
              );
            }}
          >
            <select aria-label={`Role of ${member.email}`} value={role} onChange={(e) => setDraft(parseRole(e.target.value) ?? null)}>
              {controls.grantable.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
            {/* aria-disabled, not disabled: focus stays on it after saving. */}
            <button type="submit" className="button-small" aria-disabled={unchanged || update.isPending} aria-label={`Save role of ${member.email}`}>
              Save
            </button>
          </form>
        ) : (
          <span className="badge">{member.role}</span>
        )}
      </td>
      <td data-label="Member since" className="small muted">
        {formatTime(member.created_at)}
      </td>
      <td className="row-actions">
        {controls.remove && (
          <button
            type="button"
            className="button-small danger"
            aria-label={isSelf ? 'Leave project' : `Remove ${member.email}`}
            onClick={onRemove}
          >
            {isSelf ? 'Leave' : 'Remove'}
          </button>
        )}
      </td>
    </tr>
  );
}

function AddMember({ project, grantable }: { project: string; grantable: readonly Role[] }) {
  const add = useAddMember(project);
  const invites = useAuthStatus().data?.signup_mode === 'invite';
  const toast = useToast();
  const roleId = useId();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('developer');
  return (
    <form
      className="card inline-form"
      aria-label="Add a member"
      onSubmit={(e) => {
        e.preventDefault();
        add.mutate(
          { email: email.trim(), role },
          {
            onSuccess: (added) => {
              setEmail('');
              // With sign-up by invitation, an unknown email is invited.
              toast.success(
                added.kind === 'member'
                  ? `${added.member.email} added as ${added.member.role}.`
                  : `${added.invitation.email} is invited; they join as ${added.invitation.role} when they sign up.`,
              );
            },
            onError: (err) => toast.error(err),
          },
        );
      }}
    >
      <Field
        label="Email"
        type="email"
        required
        maxLength={254}
        autoComplete="off"
        hint={
          invites
            ? 'Someone without an account yet is invited and joins when they sign up.'
            : 'Someone who already has an account on this Coffer.'
        }
        value={email}
        onChange={(e) => setEmail(e.target.value)}
      />
      <div className="field field-narrow">
        <label htmlFor={roleId}>Role</label>
        <select id={roleId} value={role} onChange={(e) => setRole(parseRole(e.target.value) ?? 'developer')}>
          {grantable.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" className="primary" disabled={add.isPending}>
        Add member
      </button>
    </form>
  );
}

/** Emails invited that have not signed up yet; shown only when there are
 * some. Those who may manage members may revoke them (only owners revoke
 * an invitation to ownership, as only they make owners). */
function PendingInvitations({ project, caller }: { project: string; caller: Role | undefined }) {
  const invitations = useInvitations(project);
  const revoke = useRevokeInvitation(project);
  const toast = useToast();
  if (invitations.isPending || (invitations.isSuccess && invitations.data.length === 0)) return null;
  return (
    <section className="card stack" aria-labelledby="invitations-title">
      <h3 id="invitations-title">Pending invitations</h3>
      {invitations.isError ? (
        <ErrorState error={invitations.error} retry={() => void invitations.refetch()} />
      ) : (
        <ul className="list" aria-labelledby="invitations-title">
          {invitations.data.map((inv) => (
            <li key={inv.email} className="list-row">
              <div className="grow">
                <div className="literal">{inv.email}</div>
                <div className="muted small">
                  joins as {inv.role} on sign-up · invited {formatTime(inv.created_at)}
                </div>
              </div>
              {memberControls(caller, inv.role, false).remove && (
                <button
                  type="button"
                  className="button-small danger"
                  aria-label={`Revoke the invitation of ${inv.email}`}
                  onClick={() =>
                    revoke.mutate(inv.email, {
                      onSuccess: () => toast.success(`The invitation of ${inv.email} is revoked.`),
                      onError: (e) => toast.error(e),
                    })
                  }
                >
                  Revoke
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
