// The dashboard against a server that requires tokens, in real Chromium: it asks
// for a token, uploads with a write token, hides write actions from a read token,
// signs out; the CSP header is sent, no request leaves loopback, and Chromium
// reports no CSP violation and no console error besides the expected 401s.
//
//   E2E_AUTH_URL       (required) `ingest serve` with auth required (e.g. INGEST_ADMIN_TOKEN set)
//   E2E_WRITE_TOKEN    a token with the write scope (`ingest token create --scope write`)
//   E2E_READ_TOKEN     a token with the read scope
//   E2E_DATA_CSV       CSV to upload (default: <repo>/data.csv); E2E_EXPECTED_ROWS checked when set
//   E2E_TIMEOUT_MS     how long a task may take (default 300000)
//   E2E_SCREENSHOT_DIR where screenshots go (default: <repo>/artifacts/screenshots)
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cspViolations, isolate, launch, watchErrors } from './browser.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BASE_URL = process.env.E2E_AUTH_URL?.replace(/\/+$/, '');
const WRITE_TOKEN = process.env.E2E_WRITE_TOKEN;
const READ_TOKEN = process.env.E2E_READ_TOKEN;
const DATA_CSV = resolve(process.env.E2E_DATA_CSV ?? join(repoRoot, 'data.csv'));
const EXPECTED_ROWS = process.env.E2E_EXPECTED_ROWS ? Number(process.env.E2E_EXPECTED_ROWS) : null;
const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS ?? 300_000);
const SHOTS = resolve(process.env.E2E_SCREENSHOT_DIR ?? join(repoRoot, 'artifacts/screenshots'));
const DATASOURCE = `e2e_auth_${Date.now()}`;
const TOKEN_KEY = 'ingest.api-token';

for (const [name, value] of Object.entries({ E2E_AUTH_URL: BASE_URL, E2E_WRITE_TOKEN: WRITE_TOKEN, E2E_READ_TOKEN: READ_TOKEN })) {
  if (!value) throw new Error(`${name} is not set (see the top of e2e/auth.test.mjs; scripts/e2e.sh sets it).`);
}
mkdirSync(SHOTS, { recursive: true });

const FINISHED = ['succeeded', 'failed', 'cancelled'];
const digits = (s) => Number(String(s).replace(/[^0-9]/g, ''));

describe('dashboard with tokens', { timeout: TIMEOUT + 240_000 }, () => {
  let browser;
  let page;
  let foreign;
  let errors;
  let failedTaskId;

  before(async () => {
    browser = await launch({ width: 1280, height: 900 });
    ({ foreign } = await isolate(browser.context));
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.setDefaultTimeout(30_000);
    // The 401s are the server asking for a token (before signing in, after signing out).
    errors = watchErrors(page, [/status of 401 \(Unauthorized\)/]);
  });

  after(async () => {
    await browser?.close();
  });

  const dialog = () => page.getByRole('dialog', { name: 'Sign in with an API token' });

  async function signIn(token) {
    await dialog().waitFor();
    assert.ok(await dialog().getByLabel('API token').evaluate((el) => el === document.activeElement), 'the token field has the focus');
    await page.keyboard.type(token);
    await page.keyboard.press('Enter');
    await dialog().waitFor({ state: 'detached' });
  }

  /** Uploads a file from the upload panel and waits until its task has finished; returns [task id, status]. */
  async function upload(file, datasource) {
    await page.getByTestId('datasource-input').fill(datasource);
    await page.getByTestId('file-input').setInputFiles(file);
    const sent = page.waitForRequest((r) => new URL(r.url()).pathname === '/api/ingest/upload');
    await page.getByTestId('upload-button').click();
    const request = await sent;
    assert.equal(request.headers().authorization, `Bearer ${WRITE_TOKEN}`, 'the upload carries the token');
    const name = typeof file === 'string' ? basename(file) : file.name;
    const progress = page.locator('[data-testid="upload-item"]', { hasText: name }).getByTestId('task-progress');
    await progress.waitFor({ timeout: 120_000 });
    const taskId = await progress.getAttribute('data-task-id');
    await page.waitForFunction(
      ([id, done]) => done.includes(document.querySelector(`[data-testid="task-progress"][data-task-id="${id}"]`)?.getAttribute('data-status')),
      [taskId, FINISHED],
      { timeout: TIMEOUT, polling: 500 },
    );
    return [taskId, await progress.getAttribute('data-status'), progress];
  }

  it('asks for a token, with the CSP header on the page', async () => {
    const res = await page.goto(`${BASE_URL}/`, { waitUntil: 'domcontentloaded' });
    assert.ok(res?.ok(), `GET / answered ${res?.status()}`);
    const csp = await res.headerValue('content-security-policy');
    assert.ok(csp, 'the dashboard is sent with a Content-Security-Policy');
    assert.match(csp, /script-src 'self'(;|$)/, csp);
    assert.match(csp, /frame-ancestors 'none'/, csp);
    await dialog().waitFor();
    assert.match(await dialog().innerText(), /ingest token create --name YOUR_NAME --scope write/);
    await page.screenshot({ path: join(SHOTS, 'token-dialog-1280.png') });
  });

  it('refuses a wrong token and keeps asking', async () => {
    await page.keyboard.type('ing_not_a_real_token');
    await page.keyboard.press('Enter');
    await dialog().getByText(/refused this token/).waitFor();
    assert.equal(await page.evaluate((k) => sessionStorage.getItem(k), TOKEN_KEY), null);
    await dialog().getByLabel('API token').fill('');
  });

  it('signs in with a write token and uploads data.csv', async () => {
    await signIn(WRITE_TOKEN);
    await page.locator('[data-testid="auth-status"][data-scope="write"]').waitFor();
    // Kept for this tab only, never in a URL or localStorage.
    assert.equal(await page.evaluate((k) => sessionStorage.getItem(k), TOKEN_KEY), WRITE_TOKEN);
    assert.equal(await page.evaluate(() => localStorage.length), 0);
    assert.ok(!page.url().includes(WRITE_TOKEN), 'the token is not in the URL');

    const [taskId, status, progress] = await upload(DATA_CSV, DATASOURCE);
    assert.equal(status, 'succeeded', `task ${taskId} ended ${status}: ${await progress.innerText()}`);
    const rows = digits(await progress.getByTestId('task-progress-rows').innerText());
    if (EXPECTED_ROWS !== null) assert.equal(rows, EXPECTED_ROWS, 'rows ingested');
    else assert.ok(rows > 0, 'some rows were ingested');
    await page.screenshot({ path: join(SHOTS, 'signed-in-write-1280.png'), fullPage: true });
  });

  it('offers run again on a failed task to the write token', async () => {
    // A header without rows fails validation (no_data_rows): a finished, failed task.
    const headerOnly = { name: 'header-only.csv', mimeType: 'text/csv', buffer: Buffer.from('time,v\n') };
    const [taskId, status] = await upload(headerOnly, `${DATASOURCE}_failed`);
    assert.equal(status, 'failed', `task ${taskId} should fail validation`);
    failedTaskId = taskId;
    // A reload keeps the token (sessionStorage), so no dialog.
    await page.goto(`${BASE_URL}/tasks/${failedTaskId}`);
    await page.locator('[data-testid="task-detail"][data-status="failed"]').waitFor();
    await page.getByRole('button', { name: 'Run again' }).waitFor();
    assert.equal(await dialog().count(), 0);
  });

  it('signs out: the token is forgotten and asked for again', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await dialog().waitFor();
    assert.equal(await page.evaluate((k) => sessionStorage.getItem(k), TOKEN_KEY), null);
  });

  it('hides upload, cancel and run again from a read token', async () => {
    await signIn(READ_TOKEN);
    await page.locator('[data-testid="auth-status"][data-scope="read"]').waitFor();
    await page.locator('[data-testid="task-detail"][data-status="failed"]').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Run again' }).count(), 0, 'no run again for read');
    assert.equal(await page.getByRole('button', { name: 'Cancel task' }).count(), 0, 'no cancel for read');

    await page.getByRole('link', { name: 'Ingest' }).click();
    await page.getByTestId('upload-not-allowed').waitFor();
    assert.match(await page.getByTestId('upload-not-allowed').innerText(), /needs a token with the write scope/);
    assert.equal(await page.getByTestId('dropzone').count(), 0, 'no drop zone for read');
    assert.equal(await page.getByTestId('upload-button').count(), 0, 'no upload button for read');
    // The tasks are still readable, including the ones uploaded with the write token.
    await page.locator(`[data-testid="task-row"][data-task-id="${failedTaskId}"]`).waitFor();
    await page.screenshot({ path: join(SHOTS, 'signed-in-read-1280.png'), fullPage: true });
  });

  it('loaded nothing from another host, with no CSP violation or console error', async () => {
    assert.deepEqual(foreign, [], 'requests to other hosts were tried');
    assert.deepEqual(await cspViolations(page), [], 'CSP violations');
    assert.deepEqual(errors, [], 'console errors');
  });
});
