import { useId, useState, type ReactNode } from 'react';
import { Modal } from './Modal';

type Props = {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  /** When set, the person must type this text before confirming. */
  typeToConfirm?: string;
  busy?: boolean;
  onConfirm: () => void;
  onClose: () => void;
};

/** Asks before a destructive action, optionally making the person type a
 * name so that a slip of the finger cannot delete a project. */
export function ConfirmDialog({ title, children, confirmLabel, typeToConfirm, busy, onConfirm, onClose }: Props) {
  const [typed, setTyped] = useState('');
  const inputId = useId();
  const ok = typeToConfirm === undefined || typed === typeToConfirm;
  return (
    <Modal title={title} onClose={onClose}>
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          if (ok && !busy) onConfirm();
        }}
      >
        <div>{children}</div>
        {typeToConfirm !== undefined && (
          <div className="field">
            <label htmlFor={inputId}>
              Type <strong className="literal">{typeToConfirm}</strong> to confirm
            </label>
            <input id={inputId} value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" />
          </div>
        )}
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="danger" disabled={!ok || busy}>
            {confirmLabel}
          </button>
        </div>
      </form>
    </Modal>
  );
}
