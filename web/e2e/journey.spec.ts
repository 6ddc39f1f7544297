import { expect, screenshot, test } from './fixtures';

const admin = { name: 'Ada Admin', email: 'ada@example.com', password: 'Zebra-Quartz-Lantern-4217' };

test('first run to sign-out: projects, secrets, history, import, tokens, audit', async ({ page }) => {
  // First run: the server has no account yet, so the app goes straight to
  // set-up, where the first account becomes the administrator.
  await page.goto('/');
  await expect(page).toHaveURL(/\/setup$/);
  await expect(page.getByRole('heading', { name: 'Set up Coffer' })).toBeVisible();
  await screenshot(page, '01-setup');
  await page.getByLabel('Name', { exact: true }).fill(admin.name);
  await page.getByLabel('Email', { exact: true }).fill(admin.email);
  await page.getByLabel('Password', { exact: true }).fill(admin.password);
  await page.getByRole('button', { name: 'Create administrator account' }).click();
  await expect(page.getByText('You are the administrator of this Coffer.')).toBeVisible();
  await expect(page.getByText('No projects yet.')).toBeVisible();

  // Create a project and open its first environment.
  await page.getByLabel('Name', { exact: true }).fill('Shop');
  await page.getByLabel('Slug', { exact: true }).fill('shop');
  await page.getByRole('button', { name: 'Create project' }).click();
  await expect(page.getByRole('link', { name: 'Shop' })).toBeVisible();
  await screenshot(page, '02-projects');
  await page.getByRole('link', { name: 'Shop' }).click();
  await expect(page).toHaveURL(/\/projects\/shop\/env\/dev$/);
  await page.getByRole('link', { name: 'staging' }).click();
  await expect(page.getByRole('link', { name: 'staging' })).toHaveAttribute('aria-current', 'page');
  await page.getByRole('link', { name: 'dev' }).click();
  await expect(page.getByText('No secrets in this environment yet.')).toBeVisible();

  // Add a secret: masked until revealed.
  await page.getByRole('button', { name: 'Add secret' }).click();
  await page.getByLabel('Key', { exact: true }).fill('DB_URL');
  await page.getByLabel('Value', { exact: true }).fill('postgres://one');
  await page.getByLabel('Comment', { exact: true }).fill('primary database');
  await page.getByRole('button', { name: 'Save' }).click();
  const row = page.getByRole('row', { name: /DB_URL/ });
  await expect(row.getByLabel('DB_URL value hidden')).toBeVisible();
  await expect(page.getByText('postgres://one')).toHaveCount(0);
  await row.getByRole('button', { name: 'Reveal DB_URL' }).click();
  await expect(row.getByText('postgres://one')).toBeVisible();

  // Edit in place: version 2.
  await row.getByRole('button', { name: 'Edit DB_URL' }).click();
  await page.getByLabel('Value', { exact: true }).fill('postgres://two');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('DB_URL is now version 2.')).toBeVisible();

  // History and rollback to version 1 (which becomes version 3).
  await page.getByRole('button', { name: 'History of DB_URL' }).click();
  const history = page.getByRole('dialog', { name: 'History of DB_URL' });
  await expect(history.getByText('v2', { exact: true })).toBeVisible();
  await screenshot(page, '04-history');
  await history.getByRole('button', { name: 'Roll back to v1' }).click();
  await expect(page.getByText('DB_URL rolled back to v1 (now v3).')).toBeVisible();
  await history.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByRole('row', { name: /DB_URL/ }).getByText('v3', { exact: false })).toBeVisible();

  // Import a pasted .env: preview first, then apply.
  await page.getByRole('button', { name: 'Import .env' }).click();
  const dialog = page.getByRole('dialog', { name: 'Import into dev' });
  await dialog.getByLabel('Paste a .env file').fill('DB_URL=postgres://imported\nAPI_KEY=k-123\nPORT=8080\n');
  await dialog.getByRole('button', { name: 'Preview' }).click();
  await expect(dialog.getByRole('list', { name: 'Keys that will be created' })).toContainText('API_KEY');
  await expect(dialog.getByRole('list', { name: 'Keys that will be created' })).toContainText('PORT');
  // DB_URL's value changes: an update (its comment stays, a .env has none).
  await expect(dialog.getByRole('list', { name: 'Keys that will be updated' })).toContainText('DB_URL');
  await screenshot(page, '05-import-preview');
  await dialog.getByRole('button', { name: 'Apply 3 changes' }).click();
  await expect(page.getByText('Imported: 2 created, 1 updated, 0 deleted.')).toBeVisible();
  await expect(page.getByRole('row', { name: /API_KEY/ })).toBeVisible();

  // Reveal all, search, delete with confirmation.
  await page.getByRole('button', { name: 'Reveal all' }).click();
  await expect(page.getByText('k-123')).toBeVisible();
  await screenshot(page, '03-secrets');
  await page.getByRole('button', { name: 'Hide all' }).click();
  await page.getByLabel('Search secrets by key or comment').fill('api');
  await expect(page.getByRole('row', { name: /DB_URL/ })).toHaveCount(0);
  await page.getByLabel('Search secrets by key or comment').fill('');
  await page.getByRole('button', { name: 'Delete PORT' }).click();
  await page.getByRole('dialog', { name: 'Delete PORT?' }).getByRole('button', { name: 'Delete secret' }).click();
  await expect(page.getByText('PORT deleted.')).toBeVisible();
  await expect(page.getByRole('row', { name: /PORT/ })).toHaveCount(0);

  // A deleted secret is listed, and comes back with its last value, while
  // its values are kept; its versions hold the older ones.
  await page.getByRole('button', { name: 'Restore deleted' }).click();
  const trash = page.getByRole('dialog', { name: 'Restore a deleted secret' });
  await expect(trash.getByRole('row', { name: /PORT/ })).toHaveCount(1);
  await screenshot(page, '05b-restore-deleted');
  await trash.getByRole('button', { name: 'Versions of PORT' }).click();
  const deleted = page.getByRole('dialog', { name: 'History of PORT' });
  await expect(deleted.getByText('Deleted', { exact: true })).toBeVisible();
  await deleted.getByRole('button', { name: 'Close' }).click();
  await page.getByRole('button', { name: 'Restore deleted' }).click();
  await trash.getByRole('button', { name: 'Restore PORT' }).click();
  await expect(page.getByText('PORT restored from v1 (now v3).')).toBeVisible();
  await expect(trash.getByText('No deleted secret to restore.')).toBeVisible();
  await trash.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByRole('row', { name: /PORT/ })).toHaveCount(1);

  // Service token: shown once, listed, revoked.
  await page.getByRole('link', { name: 'Service tokens' }).click();
  await page.getByLabel('Token name', { exact: true }).fill('ci');
  await page.getByRole('checkbox', { name: 'dev' }).check();
  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(page.getByTestId('token-secret')).toHaveText(/^cof_svc_/);
  await screenshot(page, '06-token-shown-once');
  await page.getByRole('button', { name: 'I have stored it' }).click();
  await expect(page.getByTestId('token-secret')).toHaveCount(0);
  const tokenRow = page.getByRole('row', { name: /ci/ });
  await expect(tokenRow).toContainText('Never');
  await tokenRow.getByRole('button', { name: 'Revoke ci' }).click();
  await page.getByRole('dialog', { name: 'Revoke ci?' }).getByRole('button', { name: 'Revoke token' }).click();
  await expect(page.getByText('ci revoked.')).toBeVisible();
  await expect(page.getByText('No service tokens.')).toBeVisible();

  // The audit log shows what happened, and filters.
  await page.getByRole('link', { name: 'Audit log' }).click();
  const log = page.getByRole('table');
  for (const action of ['secret.written', 'secret.rolled_back', 'secrets.imported', 'secret.deleted', 'token.created', 'token.revoked']) {
    await expect(log.getByText(action, { exact: true }).first()).toBeVisible();
  }
  await screenshot(page, '07-audit');
  await page.getByLabel('Action', { exact: true }).selectOption('token.created');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(log.getByText('token.revoked', { exact: true })).toHaveCount(0);
  await expect(log.getByText('token.created', { exact: true })).toHaveCount(1);

  // Rename, then delete a project with typed confirmation.
  await page.getByRole('link', { name: 'Projects' }).click();
  await page.getByLabel('Name', { exact: true }).fill('Scratch');
  await page.getByLabel('Slug', { exact: true }).fill('scratch');
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.getByRole('button', { name: 'Rename Scratch' }).click();
  await page.getByLabel('New name for scratch').fill('Scratchpad');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('link', { name: 'Scratchpad' })).toBeVisible();
  await page.getByRole('button', { name: 'Delete Scratchpad' }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete Scratchpad?' });
  await expect(confirm.getByRole('button', { name: 'Delete project' })).toBeDisabled();
  await confirm.getByLabel(/Type scratch to confirm/).fill('scratch');
  await confirm.getByRole('button', { name: 'Delete project' }).click();
  await expect(page.getByRole('link', { name: 'Scratchpad' })).toHaveCount(0);

  // Account page, narrow layout.
  await page.getByRole('link', { name: 'Account' }).click();
  await expect(page.getByRole('heading', { name: 'Sessions' })).toBeVisible();
  await expect(page.getByText('This device')).toBeVisible();
  await screenshot(page, '08-account');
  await page.setViewportSize({ width: 375, height: 800 });
  await page.goto('/projects/shop/env/dev');
  await expect(page.getByRole('row', { name: /API_KEY/ })).toBeVisible();
  await screenshot(page, '09-secrets-375px');
  await page.setViewportSize({ width: 1280, height: 800 });

  // Sign out; a deep link then needs sign-in and comes back afterwards.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto('/projects/shop/audit');
  await expect(page).toHaveURL(/\/login$/);
  await page.getByLabel('Email', { exact: true }).fill(admin.email);
  await page.getByLabel('Password', { exact: true }).fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/projects\/shop\/audit$/);
  await expect(page.getByRole('heading', { name: 'Audit log' })).toBeVisible();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
});
