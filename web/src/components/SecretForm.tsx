import { useId, useState } from 'react';
import type { Schemas } from '../lib/api';
import { Field } from './Field';

type Props = {
  title: string;
  /** Editing an existing secret: its key is fixed. */
  initial?: Schemas['SecretInput'];
  busy?: boolean;
  onSave: (input: Schemas['SecretInput']) => void;
  onCancel: () => void;
};

/** Key, value and comment of a secret; used to add and to edit inline. */
export function SecretForm({ title, initial, busy, onSave, onCancel }: Props) {
  const [key, setKey] = useState(initial?.key ?? '');
  const [value, setValue] = useState(initial?.value ?? '');
  const [comment, setComment] = useState(initial?.comment ?? '');
  const valueId = useId();
  return (
    <form
      className="card stack secret-form"
      aria-label={title}
      onSubmit={(e) => {
        e.preventDefault();
        onSave({ key, value, comment });
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') onCancel();
      }}
    >
      {initial ? (
        <p className="strong">
          <code>{initial.key}</code>
        </p>
      ) : (
        <Field
          label="Key"
          required
          maxLength={256}
          pattern="[A-Za-z_][A-Za-z0-9_.\-]*"
          title="Letters, digits, _ . and -, not starting with a digit"
          autoComplete="off"
          spellCheck={false}
          autoFocus
          value={key}
          onChange={(e) => setKey(e.target.value)}
        />
      )}
      <div className="field">
        <label htmlFor={valueId}>Value</label>
        <textarea
          id={valueId}
          rows={2}
          maxLength={65536}
          autoComplete="off"
          spellCheck={false}
          autoFocus={!!initial}
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
      </div>
      <Field label="Comment" maxLength={1024} value={comment} onChange={(e) => setComment(e.target.value)} />
      <div className="actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy}>
          Save
        </button>
      </div>
    </form>
  );
}
