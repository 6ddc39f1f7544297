import type { WebSocketRoute } from '@playwright/test';
import { expect, screenshot, test } from './fixtures';
import { apiAs, signUp } from './helpers';

test('a secret written, or an environment added, in another browser appears without a reload while the indicator says Live', async ({
  page,
  secondPage,
  baseURL,
}) => {
  await signUp(page, 'Lia Live', 'lia@example.com');
  await signUp(secondPage, 'Max Mate', 'max@example.com');
  const lia = apiAs(page, baseURL);
  await lia.post('/api/v1/projects', { slug: 'live', name: 'Live' });
  await lia.post('/api/v1/projects/live/members', { email: 'max@example.com', role: 'developer' });

  await page.goto('/projects/live/env/dev');
  const indicator = page.getByRole('status').filter({ hasText: 'Live updates' });
  await expect(indicator).toHaveText('Live updates: Live');
  await expect(page.getByText('No secrets in this environment yet.')).toBeVisible();
  // Gone if the page reloads: proves the table refreshes in place.
  await page.evaluate(() => {
    document.body.dataset.sameDocument = 'yes';
  });

  // Max adds a secret in his own browser; it appears in Lia's.
  await secondPage.goto('/projects/live/env/dev');
  await expect(secondPage.getByRole('status').filter({ hasText: 'Live updates' })).toHaveText('Live updates: Live');
  await secondPage.getByRole('button', { name: 'Add secret' }).click();
  await secondPage.getByLabel('Key', { exact: true }).fill('PAYMENT_KEY');
  await secondPage.getByLabel('Value', { exact: true }).fill('pk-first');
  await secondPage.getByRole('button', { name: 'Save' }).click();
  const row = page.getByRole('row', { name: /PAYMENT_KEY/ });
  await expect(row).toBeVisible();
  await expect(row.getByLabel('PAYMENT_KEY value hidden')).toBeVisible();

  // He edits it: Lia's row moves to version 2 and reveals the new value.
  await secondPage.getByRole('button', { name: 'Edit PAYMENT_KEY' }).click();
  await secondPage.getByLabel('Value', { exact: true }).fill('pk-second');
  await secondPage.getByRole('button', { name: 'Save' }).click();
  await expect(secondPage.getByText('PAYMENT_KEY is now version 2.')).toBeVisible();
  await expect(row).toContainText('v2');
  await row.getByRole('button', { name: 'Reveal PAYMENT_KEY' }).click();
  await expect(row.getByText('pk-second')).toBeVisible();
  await screenshot(page, '10-live-update');

  // And deletes it: it goes from Lia's table too.
  await secondPage.getByRole('button', { name: 'Delete PAYMENT_KEY' }).click();
  await secondPage.getByRole('dialog', { name: 'Delete PAYMENT_KEY?' }).getByRole('button', { name: 'Delete secret' }).click();
  await expect(row).toHaveCount(0);
  await expect(page.getByText('No secrets in this environment yet.')).toBeVisible();

  await expect(indicator).toHaveText('Live updates: Live');
  expect(await page.evaluate(() => document.body.dataset.sameDocument)).toBe('yes');

  // Lia adds an environment: nobody follows it yet, yet Max's tabs show it
  // without a reload; deleting it takes the tab away again.
  await secondPage.evaluate(() => {
    document.body.dataset.sameDocument = 'yes';
  });
  const maxTabs = secondPage.getByRole('navigation', { name: 'Environments and project tools' });
  await expect(maxTabs.getByRole('link', { name: 'dev' })).toBeVisible();
  await expect(maxTabs.getByRole('link', { name: 'QA' })).toHaveCount(0);
  await lia.post('/api/v1/projects/live/environments', { slug: 'qa', name: 'QA' });
  await expect(maxTabs.getByRole('link', { name: 'QA' })).toBeVisible();
  await lia.delete('/api/v1/projects/live/environments/qa');
  await expect(maxTabs.getByRole('link', { name: 'QA' })).toHaveCount(0);
  expect(await secondPage.evaluate(() => document.body.dataset.sameDocument)).toBe('yes');
});

test('a dropped connection shows Reconnecting…, then resumes from the last revision and shows what it missed', async ({
  page,
  baseURL,
}) => {
  await signUp(page, 'Rae Resume', 'rae@example.com');
  const rae = apiAs(page, baseURL);
  await rae.post('/api/v1/projects', { slug: 'resume', name: 'Resume' });
  const put = (key: string) => rae.put(`/api/v1/projects/resume/environments/dev/secrets/${key}`, { value: `${key}-value` });
  await put('FIRST'); // revision 1

  // Between the page and the server: records what the page sends, and
  // can cut the connection and refuse new ones.
  const sent: { type: string; environment?: string; since?: number }[] = [];
  let refuse = false;
  let current: WebSocketRoute | undefined;
  await page.routeWebSocket(/\/api\/v1\/events$/, (ws) => {
    if (refuse) {
      void ws.close({ code: 1013, reason: 'resync: test' });
      return;
    }
    const server = ws.connectToServer();
    current = ws;
    ws.onMessage((m) => {
      if (typeof m === 'string') sent.push(JSON.parse(m) as (typeof sent)[number]);
      server.send(m);
    });
  });

  await page.goto('/projects/resume/env/dev');
  const indicator = page.getByRole('status').filter({ hasText: 'Live updates' });
  await expect(indicator).toHaveText('Live updates: Live');
  await expect(page.getByRole('row', { name: /FIRST/ })).toBeVisible();

  await put('SECOND'); // revision 2, announced live
  await expect(page.getByRole('row', { name: /SECOND/ })).toBeVisible();

  refuse = true;
  await current?.close({ code: 1001, reason: 'going away' });
  await expect(indicator).toHaveText('Live updates: Reconnecting…');
  await put('MISSED'); // revision 3, while disconnected
  await expect(page.getByRole('row', { name: /MISSED/ })).toHaveCount(0);
  refuse = false;

  await expect(indicator).toHaveText('Live updates: Live', { timeout: 30_000 });
  await expect(page.getByRole('row', { name: /MISSED/ })).toBeVisible();
  const subscribes = sent.filter((m) => m.type === 'subscribe' && m.environment === 'dev');
  expect(subscribes.map((m) => m.since)).toEqual([1, 2]); // first from the table, then from the last revision seen
});
