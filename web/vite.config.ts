/// <reference types="vitest/config" />
import react from '@vitejs/plugin-react';
import { resolve } from 'node:path';
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
    rolldownOptions: {
      // Two pages: the app, and the API reference the server answers at
      // /api/docs. Swagger UI stays in the second one's chunks.
      input: {
        index: resolve(import.meta.dirname, 'index.html'),
        docs: resolve(import.meta.dirname, 'docs.html'),
      },
      output: {
        // The chunk the two pages share holds React: name it so, rather than
        // after whichever of its modules came first.
        chunkFileNames: (chunk) =>
          `assets/${chunk.moduleIds.some((id) => /[\\/]node_modules[\\/]react-dom[\\/]/.test(id)) ? 'react' : '[name]'}-[hash].js`,
      },
    },
  },
  experimental: {
    // The HTML names assets from the site root ("/assets/…"), which the Go
    // server rewrites when ASSET_BASE_URL puts them on a CDN; scripts and
    // styles name one another relative to themselves (import.meta.url,
    // url(…)), so lazy chunks and fonts follow the entry to wherever it
    // was loaded from.
    renderBuiltUrl: (_filename, { hostType }) => (hostType === 'html' ? undefined : { relative: true }),
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
