import { request } from '@playwright/test';
import { expect, expectRefused, screenshot, test } from './fixtures';
import { apiAs, signUp } from './helpers';

test('members: add someone who signed up, change their role, keep the last owner, remove them', async ({
  page,
  secondPage,
  problems,
  baseURL,
}) => {
  await signUp(page, 'Olga Owner', 'olga@example.com');
  await apiAs(page, baseURL).post('/api/v1/projects', { slug: 'team', name: 'Team' });
  // Vic signs up first: members are added by the email of an account.
  await signUp(secondPage, 'Vic Viewer', 'vic@example.com');

  await page.goto('/projects/team');
  await page.getByRole('link', { name: 'Members' }).click();
  await expect(page).toHaveURL(/\/projects\/team\/members$/);
  const add = page.getByRole('form', { name: 'Add a member' });
  await add.getByLabel('Email').fill('vic@example.com');
  await add.getByLabel('Role').selectOption('viewer');
  await add.getByRole('button', { name: 'Add member' }).click();
  await expect(page.getByText('vic@example.com added as viewer.')).toBeVisible();
  const vicRow = page.getByRole('row', { name: /Vic Viewer/ });
  await expect(vicRow.getByLabel('Role of vic@example.com', { exact: true })).toHaveValue('viewer');
  await screenshot(page, '11-members');
  await page.setViewportSize({ width: 375, height: 800 });
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, '11b-members-dark-375px');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 1280, height: 800 });

  // Vic, a viewer, sees who is in the project but none of the controls.
  await secondPage.goto('/projects/team/members');
  const vicSees = secondPage.getByRole('row', { name: /Vic Viewer/ });
  await expect(vicSees).toContainText('viewer');
  await expect(secondPage.getByRole('row', { name: /Olga Owner/ })).toContainText('owner');
  await expect(secondPage.getByRole('form', { name: 'Add a member' })).toHaveCount(0);
  await expect(secondPage.getByRole('combobox')).toHaveCount(0);
  await expect(secondPage.getByRole('button', { name: /^Remove/ })).toHaveCount(0);
  await expect(vicSees.getByRole('button', { name: 'Leave project' })).toBeVisible();
  for (const tab of ['Environments', 'Service tokens', 'Audit log']) {
    await expect(secondPage.getByRole('link', { name: tab })).toHaveCount(0);
  }
  await expect(secondPage.getByRole('status').filter({ hasText: 'Live updates' })).toHaveText('Live updates: Live');

  // Olga makes him a developer, with the keyboard; his page follows live.
  const vicRole = vicRow.getByLabel('Role of vic@example.com', { exact: true });
  await vicRole.selectOption('developer');
  await vicRole.press('Tab');
  await expect(vicRow.getByRole('button', { name: 'Save role of vic@example.com' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByText('vic@example.com is now developer.')).toBeVisible();
  await expect(vicSees).toContainText('developer');
  await expect(secondPage.getByText('your role: developer')).toBeVisible();

  // The last owner cannot step down: the server's reason is shown.
  const olgaRow = page.getByRole('row', { name: /Olga Owner/ });
  await olgaRow.getByLabel('Role of olga@example.com', { exact: true }).selectOption('admin');
  await olgaRow.getByRole('button', { name: 'Save role of olga@example.com' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'A project needs an owner; make someone else owner first.' })).toBeVisible();
  await expectRefused(problems, 409);
  await expect(olgaRow.getByLabel('Role of olga@example.com', { exact: true })).toHaveValue('owner');

  // Olga removes Vic; the project is gone from his list.
  await secondPage.goto('/projects');
  await expect(secondPage.getByRole('link', { name: 'Team' })).toBeVisible();
  await vicRow.getByRole('button', { name: 'Remove vic@example.com' }).click();
  await page.getByRole('dialog', { name: 'Remove Vic Viewer?' }).getByRole('button', { name: 'Remove member' }).click();
  await expect(page.getByText('vic@example.com removed.')).toBeVisible();
  await expect(vicRow).toHaveCount(0);
  await secondPage.reload();
  await expect(secondPage.getByText('No projects yet.')).toBeVisible();
});

test('environments: create, rename and delete with typed confirmation', async ({ page, baseURL }) => {
  await signUp(page, 'Eve Envs', 'eve@example.com');
  await apiAs(page, baseURL).post('/api/v1/projects', { slug: 'envs', name: 'Envs' });
  await page.goto('/projects/envs');
  const tabs = page.getByRole('navigation', { name: 'Environments and project tools' });
  await tabs.getByRole('link', { name: 'Environments' }).click();

  const create = page.getByRole('form', { name: 'Create an environment' });
  await create.getByLabel('Environment slug').fill('qa');
  await create.getByLabel('Environment name (optional)').fill('QA');
  await create.getByRole('button', { name: 'Create environment' }).click();
  await expect(page.getByText('Environment QA created.')).toBeVisible();
  await expect(tabs.getByRole('link', { name: 'QA', exact: true })).toBeVisible();
  await expect(page.getByRole('row', { name: /QA/ })).toContainText('qa');
  await screenshot(page, '12-environments');

  await page.getByRole('button', { name: 'Rename QA' }).click();
  await page.getByLabel('New name for qa').fill('Quality');
  await page.getByLabel('New name for qa').press('Enter');
  await expect(tabs.getByRole('link', { name: 'Quality', exact: true })).toBeVisible();
  await expect(tabs.getByRole('link', { name: 'QA', exact: true })).toHaveCount(0);
  // Keyboard users land back where they were.
  await expect(page.getByRole('button', { name: 'Rename Quality' })).toBeFocused();

  await page.getByRole('button', { name: 'Delete Quality' }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete Quality?' });
  await expect(confirm.getByRole('button', { name: 'Delete environment' })).toBeDisabled();
  await confirm.getByLabel(/Type qa to confirm/).fill('q');
  await expect(confirm.getByRole('button', { name: 'Delete environment' })).toBeDisabled();
  await confirm.getByLabel(/Type qa to confirm/).fill('qa');
  await confirm.getByLabel(/Type qa to confirm/).press('Enter');
  await expect(page.getByText('Environment qa deleted.')).toBeVisible();
  await expect(tabs.getByRole('link', { name: 'Quality', exact: true })).toHaveCount(0);
  await expect(page.getByRole('row', { name: /Quality/ })).toHaveCount(0);
  for (const env of ['dev', 'staging', 'prod']) await expect(tabs.getByRole('link', { name: env, exact: true })).toBeVisible();
});

test('service tokens: an expiry is chosen at creation; the list shows it and the last use', async ({ page, baseURL }) => {
  await signUp(page, 'Tom Tokens', 'tom@example.com');
  await apiAs(page, baseURL).post('/api/v1/projects', { slug: 'tokens', name: 'Tokens' });
  await page.goto('/projects/tokens/tokens');

  await page.getByLabel('Token name', { exact: true }).fill('deploy');
  await page.getByRole('checkbox', { name: 'prod' }).check();
  await page.getByLabel('Expires', { exact: true }).selectOption({ label: 'In 30 days' });
  await expect(page.getByText(/^The token stops working on /)).toBeVisible();
  // A picked day must not be over already.
  await page.getByLabel('Expires', { exact: true }).selectOption({ label: 'On a date…' });
  await expect(page.getByRole('button', { name: 'Create token' })).toBeDisabled();
  await page.getByLabel('Expires', { exact: true }).selectOption({ label: 'In 30 days' });
  await page.getByRole('button', { name: 'Create token' }).click();
  const secret = (await page.getByTestId('token-secret').textContent()) ?? '';
  expect(secret).toMatch(/^cof_svc_/);
  await page.getByRole('button', { name: 'I have stored it' }).click();

  const row = page.getByRole('row', { name: /deploy/ });
  await expect(row.locator('td[data-label="Expires"]')).toContainText('in 30 days');
  await expect(row.locator('td[data-label="Last used"]')).toHaveText('Never');

  // A service uses it; the list then shows when.
  const service = await request.newContext({ baseURL, extraHTTPHeaders: { Authorization: `Bearer ${secret}` } });
  expect((await service.get('/api/v1/projects/tokens/environments/prod/secrets')).status()).toBe(200);
  await service.dispose();
  await page.reload();
  await expect(row.locator('td[data-label="Last used"]')).toContainText('now');
  await expect(row.locator('td[data-label="Last used"] time')).toHaveAttribute('datetime', /^\d{4}-/);
  await screenshot(page, '13-token-expiry');
});
