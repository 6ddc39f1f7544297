/// <reference types="vitest/config" />
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The Go server's Content-Security-Policy, repeated here so that `vite
// preview` (used for development and e2e before the embed is wired) catches
// the same violations the real server would.
const csp =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; " +
  "frame-ancestors 'none'; form-action 'self'";

// Where /api and /health are proxied in dev and preview. The Host header is
// passed through (changeOrigin: false) so the server's Origin check sees the
// page's own origin, as it will when it serves the client itself; ws: the
// live feed (/api/v1/events) is a WebSocket.
const apiTarget = process.env.COFFER_API_URL ?? 'http://127.0.0.1:18090';
const proxy = {
  '/api': { target: apiTarget, changeOrigin: false, ws: true },
  '/health': { target: apiTarget, changeOrigin: false },
};

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    // scripts/compress.mjs puts back dist/.keep, which the Go embed needs.
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    target: 'es2022',
    reportCompressedSize: false,
  },
  server: { proxy },
  preview: {
    proxy,
    headers: { 'Content-Security-Policy': csp },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
    restoreMocks: true,
  },
});
