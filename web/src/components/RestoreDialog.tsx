import { useState } from 'react';
import { Field } from './Field';
import { Modal } from './Modal';

type Props = { onPick: (key: string) => void; onClose: () => void };

/** Asks for the key of a deleted secret; its history, kept for a while
 * after the deletion, offers the versions to roll back to. */
export function RestoreDialog({ onPick, onClose }: Props) {
  const [key, setKey] = useState('');
  return (
    <Modal title="Restore a deleted secret" onClose={onClose}>
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          onPick(key.trim());
        }}
      >
        <p className="muted">
          A deleted secret keeps its versions for a while after the deletion (30 days unless your operator set
          otherwise). Name it to see them and roll back to one.
        </p>
        <Field
          label="Key of the deleted secret"
          required
          maxLength={256}
          autoComplete="off"
          spellCheck={false}
          autoFocus
          value={key}
          onChange={(e) => setKey(e.target.value)}
        />
        <div className="actions">
          <button type="submit" className="primary">
            Show its versions
          </button>
        </div>
      </form>
    </Modal>
  );
}
