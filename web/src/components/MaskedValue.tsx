import { useState } from 'react';
import { CopyButton } from './CopyButton';

/** The mask never depends on the value, so its length does not leak. */
export const MASK = '••••••••••••';

type Props = {
  value: string;
  /** What the value is of, for labels: e.g. the secret's key. */
  name: string;
  /** Set by "reveal all"; the row's own toggle still works. */
  revealAll?: boolean;
};

/** A secret value: masked until revealed, copied only on click, always
 * rendered as text. */
export function MaskedValue({ value, name, revealAll = false }: Props) {
  const [own, setOwn] = useState<boolean | null>(null);
  const shown = own ?? revealAll;
  return (
    <span className="masked">
      {shown ? (
        <code className="value">{value === '' ? <em className="muted">(empty)</em> : value}</code>
      ) : (
        <span className="mask" aria-label={`${name} value hidden`}>
          {MASK}
        </span>
      )}
      <span className="masked-actions">
        <button
          type="button"
          className="button-small"
          aria-pressed={shown}
          aria-label={`${shown ? 'Hide' : 'Reveal'} ${name}`}
          onClick={() => setOwn(!shown)}
        >
          {shown ? 'Hide' : 'Reveal'}
        </button>
        <CopyButton value={value} label={`Copy ${name}`} />
      </span>
    </span>
  );
}
