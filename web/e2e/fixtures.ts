import { test as base, expect, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

declare global {
  interface Window {
    __cspViolations: string[];
  }
}

/** Records console errors, uncaught exceptions, dialogs and CSP
 * violations of a page into problems. */
async function guard(page: Page, problems: string[], who: string): Promise<void> {
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`${who}console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`${who}pageerror: ${err.message}`));
  page.on('dialog', (d) => {
    problems.push(`${who}dialog: ${d.message()}`);
    void d.dismiss();
  });
}

async function collectCsp(page: Page, problems: string[], who: string): Promise<void> {
  if (page.isClosed()) return;
  const csp = await page.evaluate(() => window.__cspViolations ?? []).catch(() => []);
  problems.push(...csp.map((v) => `${who}csp: ${v}`));
}

/** Every test fails on a console error, an uncaught exception or a
 * Content-Security-Policy violation on any page it opened (`page`, and
 * `secondPage`: another browser context, for a second person). */
export const test = base.extend<{ problems: string[]; secondPage: Page }>({
  problems: async ({}, use) => {
    const problems: string[] = [];
    await use(problems);
    expect(problems, 'console errors, page errors, dialogs or CSP violations').toEqual([]);
  },
  page: async ({ page, problems }, use) => {
    await guard(page, problems, '');
    await use(page);
    await collectCsp(page, problems, '');
  },
  secondPage: async ({ browser, baseURL, problems }, use) => {
    const context = await browser.newContext({ baseURL });
    const page = await context.newPage();
    await guard(page, problems, 'second page: ');
    await use(page);
    await collectCsp(page, problems, 'second page: ');
    await context.close();
  },
});

export { expect };

/** A test that makes the server refuse a request on purpose (to show its
 * reason) accepts the one console line Chromium logs for that response,
 * and only that one. */
export async function expectRefused(problems: string[], status: number): Promise<void> {
  const line = `the server responded with a status of ${status}`;
  await expect.poll(() => problems.findIndex((p) => p.includes(line))).toBeGreaterThanOrEqual(0);
  problems.splice(
    problems.findIndex((p) => p.includes(line)),
    1,
  );
}

const shots = resolve(import.meta.dirname, '../test-results/screenshots');

/** Saves a full-page screenshot of a main screen for people to look at. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: resolve(shots, `${name}.png`), fullPage: true });
}
