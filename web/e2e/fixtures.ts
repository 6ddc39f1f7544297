import { test as base, expect, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

declare global {
  interface Window {
    __cspViolations: string[];
  }
}

/** Every test fails on a console error, an uncaught exception or a
 * Content-Security-Policy violation on any page it opened. */
export const test = base.extend<{ problems: string[] }>({
  problems: async ({}, use) => {
    await use([]);
  },
  page: async ({ page, problems }, use) => {
    await page.addInitScript(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
      });
    });
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    await use(page);
    if (!page.isClosed()) {
      const csp = await page.evaluate(() => window.__cspViolations ?? []).catch(() => []);
      problems.push(...csp.map((v) => `csp: ${v}`));
    }
    expect(problems, 'console errors, page errors, dialogs or CSP violations').toEqual([]);
  },
});

export { expect };

const shots = resolve(import.meta.dirname, '../test-results/screenshots');

/** Saves a full-page screenshot of a main screen for people to look at. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: resolve(shots, `${name}.png`), fullPage: true });
}
