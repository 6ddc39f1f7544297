import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from './fixtures';
import { freePort, waitFor } from './global-setup';

// ASSET_BASE_URL in a real browser: a Coffer of its own whose pages load
// their hashed assets from a "CDN" on another origin (a pull-through proxy
// on another port), under the CSP the server widens for it. The fixtures
// fail the test on any CSP violation or console error.
let coffer: ChildProcess | undefined;
let cdn: Server | undefined;
let dataDir = '';
let origin = '';
let cdnOrigin = '';
const pulled: string[] = [];

test.beforeAll(async () => {
  const bin = process.env.COFFER_E2E_BIN;
  test.skip(!bin, 'needs the Coffer binary (COFFER_E2E_BIN, set by global-setup)');
  const [port, cdnPort] = [await freePort(), await freePort()];
  origin = `http://127.0.0.1:${port}`;
  cdnOrigin = `http://127.0.0.1:${cdnPort}`;
  // The CDN: /cdn/assets/<file> is pulled from Coffer's /assets/<file>,
  // headers and all.
  cdn = createServer((req, res) => {
    const path = req.url?.replace(/^\/cdn\//, '/') ?? '/';
    pulled.push(path);
    const up = request(`${origin}${path}`, { headers: { 'accept-encoding': req.headers['accept-encoding'] ?? '' } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.writeHead(502).end());
    up.end();
  });
  await new Promise<void>((ok) => cdn?.listen(cdnPort, '127.0.0.1', ok));
  dataDir = mkdtempSync(join(tmpdir(), 'coffer-e2e-cdn-'));
  coffer = spawn(bin as string, ['server'], {
    stdio: ['ignore', 'ignore', process.env.COFFER_E2E_LOGS ? 'inherit' : 'ignore'],
    env: {
      ...process.env,
      APP_ENV: 'development',
      DATA_DIR: dataDir,
      PORT: String(port),
      BCRYPT_COST: '4',
      ASSET_BASE_URL: `${cdnOrigin}/cdn`,
    },
  });
  await waitFor(`${origin}/health`, coffer, 'coffer server (ASSET_BASE_URL)');
});

test.afterAll(async () => {
  if (coffer && coffer.exitCode === null) {
    coffer.kill('SIGTERM');
    await new Promise((r) => coffer?.once('exit', r));
  }
  await new Promise((r) => (cdn ? cdn.close(r) : r(null)));
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('with ASSET_BASE_URL the app and the API reference load their assets from the CDN', async ({ page }) => {
  const fromOrigin: string[] = [];
  page.on('request', (r) => {
    if (r.url().startsWith(`${origin}/assets/`)) fromOrigin.push(r.url());
  });

  // First run: set-up and the projects page are lazily loaded screens.
  await page.goto(`${origin}/`);
  await expect(page.getByRole('heading', { name: 'Set up Coffer' })).toBeVisible();
  await page.getByLabel('Name', { exact: true }).fill('Cee Dee');
  await page.getByLabel('Email', { exact: true }).fill('cdn@example.com');
  await page.getByLabel('Password', { exact: true }).fill('Zebra-Quartz-Lantern-4217');
  await page.getByRole('button', { name: 'Create administrator account' }).click();
  await expect(page.getByText('No projects yet.')).toBeVisible();

  await page.goto(`${origin}/api/docs`);
  await expect(page.locator('#operations-secrets-listSecrets')).toBeVisible();

  expect(fromOrigin, 'assets fetched from the origin instead of the CDN').toEqual([]);
  const expected = [/^\/assets\/index-.*\.js$/, /^\/assets\/SignupPage-.*\.js$/, /^\/assets\/ProjectsPage-.*\.js$/];
  expected.push(/^\/assets\/docs-.*\.js$/, /^\/assets\/docs-.*\.css$/);
  for (const chunk of expected) {
    expect(pulled.some((p) => chunk.test(p)), `${chunk} not pulled through the CDN: ${pulled.join(' ')}`).toBe(true);
  }
});
