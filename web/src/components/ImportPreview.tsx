import type { Schemas } from '../lib/api';

const groups = [
  { field: 'created', label: 'Created', verb: 'will be created' },
  { field: 'updated', label: 'Updated', verb: 'will be updated' },
  { field: 'unchanged', label: 'Unchanged', verb: 'stay as they are' },
  { field: 'deleted', label: 'Deleted', verb: 'will be deleted' },
] as const;

/** What an import would do (or did), key by key, in four groups. */
export function ImportPreview({ result }: { result: Schemas['ImportResult'] }) {
  const total = groups.reduce((n, g) => n + result[g.field].length, 0);
  const changes = result.created.length + result.updated.length + result.deleted.length;
  return (
    <section className="import-preview" aria-label={result.dry_run ? 'Import preview' : 'Import result'}>
      <p role="status">
        {changes === 0
          ? 'Nothing would change.'
          : `${changes} change${changes === 1 ? '' : 's'} across ${total} key${total === 1 ? '' : 's'}.`}
      </p>
      <div className="preview-groups">
        {groups.map((g) => (
          <div key={g.field} className={`preview-group preview-${g.field}`}>
            <h3>
              {g.label} <span className="count">{result[g.field].length}</span>
            </h3>
            {result[g.field].length > 0 ? (
              <ul aria-label={`Keys that ${g.verb}`}>
                {result[g.field].map((k) => (
                  <li key={k}>
                    <code>{k}</code>
                  </li>
                ))}
              </ul>
            ) : (
              <p className="muted small">None</p>
            )}
          </div>
        ))}
      </div>
    </section>
  );
}
