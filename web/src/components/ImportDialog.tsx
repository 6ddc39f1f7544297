import { useId, useState } from 'react';
import type { Schemas } from '../lib/api';
import { errorMessage } from '../lib/problem';
import { useImport } from '../lib/queries/secrets';
import { useToast } from '../lib/toast';
import { ImportPreview } from './ImportPreview';
import { Modal } from './Modal';

type Props = { where: { project: string; env: string }; onClose: () => void };

/** Paste a .env file, preview what it changes (a dry run on the server),
 * then apply all of it or nothing. */
export function ImportDialog({ where, onClose }: Props) {
  const [dotenv, setDotenv] = useState('');
  const [prune, setPrune] = useState(false);
  const [preview, setPreview] = useState<Schemas['ImportResult'] | null>(null);
  const run = useImport(where);
  const toast = useToast();
  const textId = useId();
  const pruneId = useId();
  const changes = preview ? preview.created.length + preview.updated.length + preview.deleted.length : 0;

  const edit = (fn: () => void) => {
    fn();
    setPreview(null);
  };

  return (
    <Modal title={`Import into ${where.env}`} onClose={onClose} wide>
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          run.mutate({ dotenv, prune, dryRun: true }, { onSuccess: setPreview });
        }}
      >
        <div className="field">
          <label htmlFor={textId}>Paste a .env file</label>
          <textarea
            id={textId}
            rows={8}
            required
            spellCheck={false}
            autoComplete="off"
            placeholder={'DATABASE_URL="postgres://…"\nAPI_KEY=…'}
            value={dotenv}
            onChange={(e) => edit(() => setDotenv(e.target.value))}
          />
        </div>
        <div className="checkbox">
          <input id={pruneId} type="checkbox" checked={prune} onChange={(e) => edit(() => setPrune(e.target.checked))} />
          <label htmlFor={pruneId}>Delete the keys of {where.env} that the file does not name</label>
        </div>
        {run.isError && (
          <p className="form-error" role="alert">
            {errorMessage(run.error)}
          </p>
        )}
        {preview && <ImportPreview result={preview} />}
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" disabled={run.isPending || dotenv.trim() === ''}>
            Preview
          </button>
          <button
            type="button"
            className="primary"
            disabled={!preview || changes === 0 || run.isPending}
            onClick={() =>
              run.mutate(
                { dotenv, prune, dryRun: false },
                {
                  onSuccess: (r) => {
                    toast.success(
                      `Imported: ${r.created.length} created, ${r.updated.length} updated, ${r.deleted.length} deleted.`,
                    );
                    onClose();
                  },
                },
              )
            }
          >
            Apply {changes > 0 ? `${changes} change${changes === 1 ? '' : 's'}` : ''}
          </button>
        </div>
      </form>
    </Modal>
  );
}
