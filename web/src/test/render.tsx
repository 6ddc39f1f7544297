import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactElement, ReactNode } from 'react';
import { Toasts } from '../components/Toasts';
import { ToastProvider } from '../lib/toast';

/** Renders ui with a query client (a fresh one unless given) and toasts,
 * as the app does; rerender keeps them. */
export function renderWithProviders(ui: ReactElement, { client }: { client?: QueryClient } = {}) {
  const qc = client ?? new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const wrapper = ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={qc}>
      <ToastProvider>
        {children}
        <Toasts />
      </ToastProvider>
    </QueryClientProvider>
  );
  return render(ui, { wrapper });
}
