import { useState } from 'react';
import { useParams } from 'react-router';
import { Field } from '../components/Field';
import { QueryList } from '../components/QueryList';
import { Table } from '../components/Table';
import type { Schemas } from '../lib/api';
import { formatTime } from '../lib/format';
import { useAudit, type AuditFilters } from '../lib/queries/audit';
import { useEnvironments } from '../lib/queries/environments';

const actions: Schemas['AuditAction'][] = [
  'secret.read', 'secrets.read', 'secret.written', 'secret.deleted', 'secret.rolled_back', 'secrets.imported',
  'secret.versions_read', 'token.created', 'token.revoked', 'project.created', 'project.updated',
  'environment.created', 'environment.updated', 'environment.deleted', 'member.added', 'member.updated',
  'member.removed',
];

/** The project's audit log with filters and "load more". */
export default function AuditPage() {
  const { project = '' } = useParams();
  const envs = useEnvironments(project);
  const [filters, setFilters] = useState<AuditFilters>({});
  const [draft, setDraft] = useState<AuditFilters>({});
  const [days, setDays] = useState({ from: '', to: '' });
  const audit = useAudit(project, filters);
  return (
    <div className="stack">
      <h2>Audit log</h2>
      <form
        className="card filters"
        aria-label="Filter the audit log"
        onSubmit={(e) => {
          e.preventDefault();
          const next = { ...draft, from: toISO(days.from), to: toISO(days.to, 1) };
          setFilters(Object.fromEntries(Object.entries(next).filter(([, v]) => v)) as AuditFilters);
        }}
      >
        <div className="field">
          <label htmlFor="audit-action">Action</label>
          <select
            id="audit-action"
            value={draft.action ?? ''}
            onChange={(e) => setDraft({ ...draft, action: (e.target.value || undefined) as AuditFilters['action'] })}
          >
            <option value="">Any</option>
            {actions.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="audit-env">Environment</label>
          <select id="audit-env" value={draft.environment ?? ''} onChange={(e) => setDraft({ ...draft, environment: e.target.value || undefined })}>
            <option value="">Any</option>
            {envs.data?.map((env) => (
              <option key={env.id} value={env.slug}>
                {env.name}
              </option>
            ))}
          </select>
        </div>
        <Field label="Actor id" value={draft.actor ?? ''} onChange={(e) => setDraft({ ...draft, actor: e.target.value || undefined })} />
        <Field label="From" type="date" value={days.from} onChange={(e) => setDays({ ...days, from: e.target.value })} />
        <Field label="To" type="date" value={days.to} onChange={(e) => setDays({ ...days, to: e.target.value })} />
        <div className="actions">
          <button type="submit" className="primary">
            Apply filters
          </button>
          <button type="button" onClick={() => { setDraft({}); setDays({ from: '', to: '' }); setFilters({}); }}>
            Clear
          </button>
        </div>
      </form>
      <QueryList query={audit} loading="Loading audit events" rows={5} empty="No events match.">
        {(events) => (
          <Table caption={`Audit events of ${project}`} className="audit" columns={['When', 'Action', 'Target', 'Actor', 'Outcome']}>
            {events.map((ev) => (
              <tr key={ev.id}>
                <td data-label="When">{formatTime(ev.time)}</td>
                <th scope="row" data-label="Action">
                  <code>{ev.action}</code>
                </th>
                <td data-label="Target">
                  {ev.environment && <span className="badge">{ev.environment}</span>} {ev.target}
                  {ev.keys && ev.keys.length > 0 && <span className="muted small"> {ev.keys.join(', ')}</span>}
                </td>
                <td data-label="Actor" className="small">
                  {ev.actor.type} <span className="muted">{ev.actor.id}</span>
                </td>
                <td data-label="Outcome">{ev.outcome}</td>
              </tr>
            ))}
          </Table>
        )}
      </QueryList>
      {audit.hasNextPage && (
        <button type="button" onClick={() => void audit.fetchNextPage()} disabled={audit.isFetchingNextPage}>
          {audit.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </button>
      )}
    </div>
  );
}

/** A date input's day as an ISO time at local midnight, plus `days`. */
function toISO(day: string, days = 0): string | undefined {
  if (!day) return undefined;
  const d = new Date(`${day}T00:00:00`);
  d.setDate(d.getDate() + days);
  return d.toISOString();
}
