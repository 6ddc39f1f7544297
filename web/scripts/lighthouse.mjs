// Measures the web client with Lighthouse (performance, accessibility, best
// practices) on the production shape: the Go binary serving the embedded
// build, on a fresh SQLite data directory, in Debian's Chromium.
//
//   npm run lighthouse                 build the client and the binary, then measure
//   LIGHTHOUSE_SKIP_BUILD=1            reuse web/dist and build only the binary
//   COFFER_BIN=/path/coffer            run that binary (it must embed this build)
//   CHROMIUM_PATH=/usr/bin/chromium    the browser (never a downloaded one)
//   LIGHTHOUSE_RUNS=3                  runs per page and form factor; the median is kept
//   LIGHTHOUSE_PAGES=login,secrets     only these pages (login, projects, secrets, api-docs)
//
// It signs up (the first account of the fresh instance), creates a project
// with secrets, and audits the login page (signed out), the projects page
// and a secrets page (signed in: the browser keeps the session cookies, so
// Lighthouse's storage reset is turned off for those), and the API reference
// (/api/docs), each as desktop and as mobile. Scores go to stdout and to
// test-results/lighthouse/summary.json, the last run's HTML reports beside
// it. Too slow for CI: run it by hand and copy the table into
// docs/benchmarks.md. COFFER_LOGS=1 shows the server's log.
/* global document -- seed() runs a function in the page */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import lighthouse, { desktopConfig } from 'lighthouse';
import puppeteer from 'puppeteer-core';

const webDir = resolve(import.meta.dirname, '..');
const repoDir = resolve(webDir, '..');
const outDir = join(webDir, 'test-results/lighthouse');
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const runs = Number(process.env.LIGHTHOUSE_RUNS ?? 3);
const categories = ['performance', 'accessibility', 'best-practices'];
let lighthouseVersion = '';

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? ok(addr.port) : fail(new Error('no port'))));
    });
  });
}

async function waitFor(url, proc) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`coffer server exited with ${proc.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`coffer server did not answer ${url} within 60 s`);
}

/** Signs up, creates project "shop" and puts 25 secrets in its dev
 * environment, from inside the page so that the browser holds the cookies. */
async function seed(page, base) {
  await page.goto(`${base}/login`, { waitUntil: 'networkidle0' });
  const status = await page.evaluate(async () => {
    const json = { 'Content-Type': 'application/json' };
    const signup = await fetch('/api/v1/auth/signup', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: 'Lighthouse', email: 'lighthouse@example.com', password: 'Zebra-Quartz-Lantern-4217' }),
    });
    if (signup.status !== 201) return `signup: ${signup.status}`;
    const csrf = document.cookie.match(/(?:^|; )(?:__Host-)?coffer_csrf=([^;]+)/)?.[1] ?? '';
    const headers = { ...json, 'X-CSRF-Token': decodeURIComponent(csrf) };
    const project = await fetch('/api/v1/projects', {
      method: 'POST',
      headers,
      body: JSON.stringify({ slug: 'shop', name: 'Shop' }),
    });
    if (project.status !== 201) return `project: ${project.status}`;
    const dotenv = Array.from({ length: 25 }, (_, i) => `SERVICE_${i}_API_KEY=value-${i}-${crypto.randomUUID()}`).join('\n');
    const put = await fetch('/api/v1/projects/shop/environments/dev/secrets', {
      method: 'PUT',
      headers: { ...headers, 'Content-Type': 'text/plain' },
      body: dotenv,
    });
    return put.ok ? 'ok' : `secrets: ${put.status}`;
  });
  if (status !== 'ok') throw new Error(`seeding failed at ${status}`);
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Runs Lighthouse `runs` times on url and returns the median score (0–100)
 * of each category, and the failed audits of the last run. */
async function audit(browser, url, { name, formFactor, signedIn }) {
  const scores = Object.fromEntries(categories.map((c) => [c, []]));
  const benchmarks = [];
  let lhr;
  for (let i = 0; i < runs; i++) {
    const page = await browser.newPage();
    const result = await lighthouse(
      url,
      {
        output: 'html',
        logLevel: 'error',
        onlyCategories: categories,
        // Signed-in pages need the session cookies Lighthouse would clear.
        disableStorageReset: signedIn,
      },
      formFactor === 'desktop' ? desktopConfig : undefined,
      page,
    );
    await page.close();
    if (!result) throw new Error(`lighthouse returned nothing for ${url}`);
    lhr = result.lhr;
    lighthouseVersion = lhr.lighthouseVersion;
    if (lhr.runtimeError) throw new Error(`${url}: ${lhr.runtimeError.message} (COFFER_LOGS=1 shows the server's log)`);
    if (signedIn && new URL(lhr.finalDisplayedUrl).pathname !== new URL(url).pathname) {
      throw new Error(`${url} ended at ${lhr.finalDisplayedUrl}: the session was lost`);
    }
    for (const c of categories) scores[c].push(Math.round((lhr.categories[c]?.score ?? 0) * 100));
    benchmarks.push(Math.round(lhr.environment.benchmarkIndex));
    writeFileSync(join(outDir, `${name}-${formFactor}.html`), result.report);
  }
  const failed = Object.values(lhr.audits)
    .filter((a) => a.score !== null && a.score < 0.9 && a.scoreDisplayMode !== 'informative' && a.scoreDisplayMode !== 'manual')
    .map((a) => `${a.id} (${a.score})`);
  return {
    ...Object.fromEntries(categories.map((c) => [c, median(scores[c])])),
    // Lighthouse's measure of the CPU it ran on (higher is faster): on a
    // shared machine it moves with the load, and performance with it.
    benchmarkIndex: median(benchmarks),
    failed,
  };
}

async function main() {
  mkdirSync(outDir, { recursive: true });
  const tmp = mkdtempSync(join(tmpdir(), 'coffer-lighthouse-'));
  let server;
  let browser;
  try {
    if (process.env.LIGHTHOUSE_SKIP_BUILD !== '1' && !process.env.COFFER_BIN) {
      execFileSync('npm', ['run', 'build'], { cwd: webDir, stdio: 'inherit' });
    }
    const bin = process.env.COFFER_BIN ?? join(tmp, 'coffer');
    if (!process.env.COFFER_BIN) execFileSync('go', ['build', '-o', bin, './cmd/coffer'], { cwd: repoDir, stdio: 'inherit' });

    const port = await freePort();
    server = spawn(bin, ['server'], {
      cwd: tmp,
      stdio: ['ignore', 'ignore', process.env.COFFER_LOGS ? 'inherit' : 'ignore'],
      env: {
        ...process.env,
        APP_ENV: 'development',
        DATA_DIR: join(tmp, 'data'),
        PORT: String(port),
        BCRYPT_COST: '4',
        LOG_LEVEL: 'warn',
      },
    });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(`${base}/health`, server);

    browser = await puppeteer.launch({
      executablePath: chromium,
      headless: false, // the flag below chooses the headless mode
      defaultViewport: null,
      args: [
        '--headless=new',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });

    const results = [];
    const pages = [
      { name: 'login', path: '/login', signedIn: false },
      { name: 'projects', path: '/projects', signedIn: true },
      { name: 'secrets', path: '/projects/shop/env/dev', signedIn: true },
      { name: 'api-docs', path: '/api/docs', signedIn: false },
    ];
    const only = process.env.LIGHTHOUSE_PAGES?.split(',');
    const wanted = (p) => !only || only.includes(p.name);
    for (const formFactor of ['desktop', 'mobile']) {
      // The signed-out pages first, on a browser with no session.
      for (const p of pages.filter((p) => !p.signedIn && wanted(p))) {
        results.push({ page: p.path, formFactor, ...(await audit(browser, base + p.path, { ...p, formFactor })) });
      }
    }
    const seeding = await browser.newPage();
    await seed(seeding, base);
    await seeding.close();
    for (const formFactor of ['desktop', 'mobile']) {
      for (const p of pages.filter((p) => p.signedIn && wanted(p))) {
        results.push({ page: p.path, formFactor, ...(await audit(browser, base + p.path, { ...p, formFactor })) });
      }
    }

    const version = `Chromium ${(await browser.version()).split('/').pop()}`;
    const order = (r) => pages.findIndex((p) => p.path === r.page) * 2 + (r.formFactor === 'mobile' ? 1 : 0);
    results.sort((a, b) => order(a) - order(b));
    writeFileSync(
      join(outDir, 'summary.json'),
      JSON.stringify({ date: new Date().toISOString(), lighthouse: lighthouseVersion, browser: version, runs, results }, null, 2) + '\n',
    );
    console.log(`\nLighthouse ${lighthouseVersion}, ${version}, median of ${runs} run(s) per row\n`);
    console.log('| page | form factor | performance | accessibility | best practices | CPU benchmark index |');
    console.log('|---|---|---|---|---|---|');
    for (const r of results) {
      const row = [`\`${r.page}\``, r.formFactor, r.performance, r.accessibility, r['best-practices'], r.benchmarkIndex];
      console.log(`| ${row.join(' | ')} |`);
    }
    for (const r of results.filter((r) => r.failed.length > 0)) {
      console.log(`\n${r.page} (${r.formFactor}) audits below 0.9: ${r.failed.join(', ')}`);
    }
    console.log(`\nReports: ${outDir}`);
  } finally {
    await browser?.close();
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
