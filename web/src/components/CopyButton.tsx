import { copyText } from '../lib/clipboard';
import { useToast } from '../lib/toast';

/** Copies a value to the clipboard when clicked, and only then. */
export function CopyButton({ value, label }: { value: string; label: string }) {
  const toast = useToast();
  return (
    <button
      type="button"
      className="button-small"
      aria-label={label}
      onClick={() => {
        copyText(value).then(
          () => toast.success('Copied to the clipboard.'),
          () => toast.error(new Error('clipboard')),
        );
      }}
    >
      Copy
    </button>
  );
}
