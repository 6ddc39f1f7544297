import type { ReactNode } from 'react';

type Props = {
  /** Names the table for screen readers; not shown. */
  caption?: ReactNode;
  /** The column headers' texts, in order. */
  columns: readonly string[];
  /** Adds a last column for the row's buttons, headed "Actions" for screen readers only. */
  actions?: boolean;
  className?: string;
  /** The body rows: one <tr> each, with a <th scope="row"> that names it. */
  children: ReactNode;
};

/** A list page's table: it scrolls sideways on its own when too wide, and
 * becomes stacked cards on narrow screens (styles.css), where each cell
 * shows its data-label in place of the hidden header. */
export function Table({ caption, columns, actions = false, className, children }: Props) {
  return (
    <div className="table-wrap">
      <table className={className}>
        {caption && <caption className="visually-hidden">{caption}</caption>}
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
            {actions && (
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
