import type { ReactNode } from 'react';
import { Footer } from '../components/Layout';

/** The frame of the signed-out pages. */
export function AuthFrame({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="app">
      <main id="main" className="auth">
        <div className="card auth-card">
          <p className="brand">Coffer</p>
          <h1>{title}</h1>
          {children}
        </div>
      </main>
      <Footer />
    </div>
  );
}
