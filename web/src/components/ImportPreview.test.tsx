import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ImportPreview } from './ImportPreview';

describe('ImportPreview', () => {
  it('lists keys by what the import does to them', () => {
    render(
      <ImportPreview
        result={{ revision: 3, dry_run: true, created: ['NEW_A', 'NEW_B'], updated: ['DB_URL'], unchanged: ['PORT'], deleted: ['OLD'] }}
      />,
    );
    expect(screen.getByRole('region', { name: 'Import preview' })).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent('4 changes across 5 keys.');
    const created = screen.getByRole('list', { name: 'Keys that will be created' });
    expect(within(created).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['NEW_A', 'NEW_B']);
    expect(within(screen.getByRole('list', { name: 'Keys that will be updated' })).getByText('DB_URL')).toBeInTheDocument();
    expect(within(screen.getByRole('list', { name: 'Keys that stay as they are' })).getByText('PORT')).toBeInTheDocument();
    expect(within(screen.getByRole('list', { name: 'Keys that will be deleted' })).getByText('OLD')).toBeInTheDocument();
  });

  it('says so when nothing would change', () => {
    render(<ImportPreview result={{ revision: 3, dry_run: true, created: [], updated: [], unchanged: ['A'], deleted: [] }} />);
    expect(screen.getByRole('status')).toHaveTextContent('Nothing would change.');
    expect(screen.getAllByText('None')).toHaveLength(3);
  });
});
