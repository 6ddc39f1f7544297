import { expect, test } from './fixtures';

const payloads = ['<img src=x onerror=alert(1)>', '"><script>alert(1)</script>'];

test('markup in values, comments and names renders as literal text', async ({ page }) => {
  await page.goto('/signup');
  await page.getByLabel('Name', { exact: true }).fill(payloads[1]!);
  await page.getByLabel('Email', { exact: true }).fill('mallory@example.com');
  await page.getByLabel('Password', { exact: true }).fill('Zebra-Quartz-Lantern-4217');
  await page.getByRole('button', { name: 'Create account' }).click();
  // The projects page has a Name field too: wait for it, not the sign-up one.
  await expect(page.getByRole('heading', { name: 'Projects' })).toBeVisible();

  await page.getByLabel('Name', { exact: true }).fill(payloads[0]!);
  await page.getByLabel('Slug', { exact: true }).fill('xss');
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.getByRole('link', { name: payloads[0]! }).click();
  await expect(page.getByRole('heading', { name: payloads[0]! })).toBeVisible();

  for (const [i, payload] of payloads.entries()) {
    await page.getByRole('button', { name: 'Add secret' }).click();
    await page.getByLabel('Key', { exact: true }).fill(`XSS_${i}`);
    await page.getByLabel('Value', { exact: true }).fill(payload);
    await page.getByLabel('Comment', { exact: true }).fill(payload);
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByRole('row', { name: new RegExp(`XSS_${i}`) })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Add secret' })).toBeEnabled();
  }
  await page.getByRole('button', { name: 'Reveal all' }).click();
  for (const payload of payloads) {
    await expect(page.getByRole('cell', { name: payload, exact: true })).toBeVisible(); // the comment
    await expect(page.locator('code.value', { hasText: payload })).toHaveText(payload);
  }
  await page.reload();
  await page.getByRole('button', { name: 'Reveal all' }).click();
  await expect(page.getByText(payloads[0]!).first()).toBeVisible();
  await page.getByRole('button', { name: 'History of XSS_1' }).click();
  await expect(page.getByRole('dialog').getByText(payloads[1]!)).toBeVisible();
  await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();

  // Nothing was injected: no image from the payload, no inline script ran.
  expect(await page.locator('main img').count()).toBe(0);
  expect(await page.locator('main script').count()).toBe(0);
  expect(await page.evaluate(() => document.body.innerHTML.includes('<img src="x"'))).toBe(false);
  await expect(page.locator('.user-name')).toHaveText(payloads[1]!);
});
