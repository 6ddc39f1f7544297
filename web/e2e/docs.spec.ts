import { expect, screenshot, test } from './fixtures';

// The API reference at /api/docs renders the document the server serves,
// under the server's strict CSP: the fixtures fail the test on any console
// error, page error or securitypolicyviolation while it is open.
test('API reference shows operations, schemas and error codes', async ({ page }) => {
  const res = await page.goto('/api/docs');
  expect(res?.status()).toBe(200);
  expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
  await expect(page.getByRole('heading', { name: /Coffer API/ })).toBeVisible();

  // An operation: its path, its responses and the problem it answers with.
  const op = page.locator('#operations-secrets-listSecrets');
  await expect(op).toContainText('/api/v1/projects/{project}/environments/{env}/secrets');
  await op.locator('.opblock-summary-control').click();
  // The path item's parameters, declared once for all its operations.
  for (const [name, description] of Object.entries({ project: "The project's slug.", env: "The environment's slug." })) {
    await expect(op.locator(`tr[data-param-name="${name}"][data-param-in="path"]`)).toContainText(description);
  }
  const responses = op.locator('.responses-table');
  await expect(responses).toContainText('200');
  await expect(responses).toContainText('404');
  await expect(responses).toContainText('not_found');

  // A schema, expanded to its properties.
  const schemas = page.locator('section.models');
  const schema = (name: string) => {
    const button = page.getByRole('button', { name, exact: true });
    return { button: schemas.locator(button), article: schemas.locator('article').filter({ has: button }).first() };
  };
  const bundle = schema('SecretBundle');
  await bundle.button.click();
  await expect(bundle.article).toContainText('revision');
  await expect(bundle.article).toContainText('The secrets of an environment at one revision.');

  // The error codes: every value of ErrorCode.
  const codes = schema('ErrorCode');
  await codes.button.click();
  await codes.article.getByRole('button', { name: 'Expand all' }).first().click();
  for (const code of ['unauthorized', 'not_found', 'conflict', 'rate_limited']) {
    await expect(codes.article).toContainText(code);
  }
  await screenshot(page, 'api-docs');
});

test('API reference deep links open an operation, which can be tried out', async ({ page }) => {
  await page.goto('/api/docs#/secrets/listSecrets');
  await expect(page.locator('#operations-secrets-listSecrets .opblock-body')).toBeVisible();

  // "Try it out" calls this server (the document's one server, "/").
  const op = page.locator('#operations-auth-authStatus');
  await op.locator('.opblock-summary-control').click();
  await op.getByRole('button', { name: 'Try it out' }).click();
  await op.getByRole('button', { name: 'Execute' }).click();
  await expect(op.locator('.live-responses-table tbody td.response-col_status').first()).toHaveText('200');
  await expect(op.locator('.live-responses-table')).toContainText('"signup_mode"');
});

test('the app links to the API reference', async ({ page }) => {
  await page.goto('/login');
  await page.getByRole('link', { name: 'API reference' }).click();
  await expect(page).toHaveURL(/\/api\/docs$/);
  await expect(page.locator('#operations-secrets-listSecrets')).toBeVisible();
});
