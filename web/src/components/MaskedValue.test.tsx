import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { renderWithProviders } from '../test/render';
import { MASK, MaskedValue } from './MaskedValue';

const xss = '<img src=x onerror=alert(1)>';

describe('MaskedValue', () => {
  it('hides the value, and its length, until revealed', () => {
    renderWithProviders(<MaskedValue value="hunter2-very-long-secret" name="DB_PASSWORD" />);
    expect(screen.queryByText('hunter2-very-long-secret')).not.toBeInTheDocument();
    expect(screen.getByLabelText('DB_PASSWORD value hidden')).toHaveTextContent(MASK);
  });

  it('reveals and hides one value, rendering markup as literal text', async () => {
    const user = userEvent.setup();
    const { container } = renderWithProviders(<MaskedValue value={xss} name="HTML" />);
    await user.click(screen.getByRole('button', { name: 'Reveal HTML' }));
    expect(screen.getByText(xss)).toBeInTheDocument();
    expect(container.querySelector('img')).toBeNull();
    expect(screen.getByRole('button', { name: 'Hide HTML' })).toHaveAttribute('aria-pressed', 'true');
    await user.click(screen.getByRole('button', { name: 'Hide HTML' }));
    expect(screen.queryByText(xss)).not.toBeInTheDocument();
  });

  it('follows "reveal all" unless the row was toggled itself', async () => {
    const user = userEvent.setup();
    const { rerender } = renderWithProviders(<MaskedValue value="v1" name="A" revealAll />);
    expect(screen.getByText('v1')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Hide A' }));
    rerender(<MaskedValue value="v1" name="A" revealAll />);
    expect(screen.queryByText('v1')).not.toBeInTheDocument();
  });

  it('copies only when the copy button is clicked', async () => {
    const user = userEvent.setup();
    const write = vi.spyOn(navigator.clipboard, 'writeText').mockResolvedValue();
    renderWithProviders(<MaskedValue value="s3cret" name="TOKEN" />);
    await user.click(screen.getByRole('button', { name: 'Reveal TOKEN' }));
    expect(write).not.toHaveBeenCalled();
    await user.click(screen.getByRole('button', { name: 'Copy TOKEN' }));
    expect(write).toHaveBeenCalledExactlyOnceWith('s3cret');
    expect(await screen.findByText('Copied to the clipboard.')).toBeInTheDocument();
  });
});
