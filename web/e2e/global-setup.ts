// Starts what the e2e tests drive, unless COFFER_E2E_URL names a running
// Coffer already:
//
//   COFFER_E2E_SERVE=go       build the client, build the Go binary (which
//                             embeds it) and run it: the production shape.
//   COFFER_E2E_SERVE=preview  (for working on the client alone) run
//                             the Go binary for the API and `vite preview`,
//                             which proxies /api and sends the same CSP.
//
// Every run gets a fresh DATA_DIR, so the first sign-up is the first run.
// COFFER_E2E_BIN names a prebuilt binary instead of `go build ./cmd/coffer`.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const webDir = resolve(import.meta.dirname, '..');
const repoDir = resolve(webDir, '..');

/** Returns a TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? ok(addr.port) : fail(new Error('no port'))));
    });
  });
}

/** Waits until url answers 2xx, failing if proc exits first. */
export async function waitFor(url: string, proc: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`${what} exited with ${proc.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not answer ${url} within 60 s`);
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  if (process.env.COFFER_E2E_URL) return async () => {};
  const mode = process.env.COFFER_E2E_SERVE ?? 'go';
  const tmp = mkdtempSync(join(tmpdir(), 'coffer-e2e-'));
  const procs: ChildProcess[] = [];
  const logs = process.env.COFFER_E2E_LOGS ? 'inherit' : 'ignore';

  if (process.env.COFFER_E2E_SKIP_BUILD !== '1') {
    execFileSync('npm', ['run', 'build'], { cwd: webDir, stdio: 'inherit' });
  }
  // COFFER_E2E_BIN runs a binary built elsewhere (it must embed this build
  // for COFFER_E2E_SERVE=go).
  const bin = process.env.COFFER_E2E_BIN ?? join(tmp, 'coffer');
  if (!process.env.COFFER_E2E_BIN) {
    execFileSync('go', ['build', '-o', bin, './cmd/coffer'], { cwd: repoDir, stdio: 'inherit' });
    // Specs that need a server of their own (cdn.spec.ts) run the same binary.
    process.env.COFFER_E2E_BIN = bin;
  }

  const goPort = await freePort();
  const server = spawn(bin, ['server'], {
    cwd: tmp,
    stdio: ['ignore', logs, logs],
    env: {
      ...process.env,
      APP_ENV: 'development',
      DATA_DIR: join(tmp, 'data'),
      PORT: String(goPort),
      BCRYPT_COST: '4',
      RATE_LIMIT_AUTH_PER_MINUTE: '1000',
    },
  });
  procs.push(server);
  const api = `http://127.0.0.1:${goPort}`;
  await waitFor(`${api}/health`, server, 'coffer server');

  let url = api;
  if (mode === 'preview') {
    const port = await freePort();
    const preview = spawn(
      join(webDir, 'node_modules/.bin/vite'),
      ['preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'],
      { cwd: webDir, stdio: ['ignore', logs, logs], env: { ...process.env, COFFER_API_URL: api } },
    );
    procs.push(preview);
    url = `http://127.0.0.1:${port}`;
    await waitFor(`${url}/`, preview, 'vite preview');
  } else if (mode !== 'go') {
    throw new Error(`COFFER_E2E_SERVE must be "go" or "preview", not ${JSON.stringify(mode)}`);
  }
  process.env.COFFER_E2E_URL = url;

  return async () => {
    for (const p of procs.reverse()) {
      p.kill('SIGTERM');
      await new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)));
    }
    rmSync(tmp, { recursive: true, force: true });
  };
}
