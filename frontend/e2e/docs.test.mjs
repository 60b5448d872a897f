// The API reference (/api/docs) and the dashboard work from the server alone and
// under its Content-Security-Policy: every request to another host is blocked (and
// must not even be tried), and Chromium reports no CSP violation and no error.
//
//   E2E_BASE_URL    (required) a running `ingest serve` (open loopback mode) serving frontend/dist
//   (the server must send the Content-Security-Policy header)
//   E2E_SCREENSHOT_DIR where screenshots go (default: <repo>/artifacts/screenshots)
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cspViolations, isolate, launch, watchErrors } from './browser.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BASE_URL = process.env.E2E_BASE_URL?.replace(/\/+$/, '');
const SHOTS = resolve(process.env.E2E_SCREENSHOT_DIR ?? join(repoRoot, 'artifacts/screenshots'));
if (!BASE_URL) throw new Error('E2E_BASE_URL is not set (a running `ingest serve`, e.g. http://127.0.0.1:8000).');
mkdirSync(SHOTS, { recursive: true });

async function assertCsp(response) {
  const csp = await response.headerValue('content-security-policy');
  assert.ok(csp, `${response.url()} has no Content-Security-Policy header`);
  assert.match(csp, /script-src 'self'(;|$)/, `scripts only from the server: ${csp}`);
  assert.doesNotMatch(csp, /unsafe-eval/, csp);
  assert.match(csp, /frame-ancestors 'none'/, csp);
}

describe('self-hosted pages under the CSP', { timeout: 180_000 }, () => {
  let browser;
  let page;
  let foreign;
  let errors;

  before(async () => {
    browser = await launch({ width: 1280, height: 900 });
    ({ foreign } = await isolate(browser.context));
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.setDefaultTimeout(30_000);
    errors = watchErrors(page);
  });

  after(async () => {
    await browser?.close();
  });

  it('/api/docs renders the spec with nothing loaded from another host', async () => {
    const spec = await (await fetch(`${BASE_URL}/api/openapi.json`)).json();
    const upload = spec.paths['/api/ingest/upload'].post;
    const res = await page.goto(`${BASE_URL}/api/docs`, { waitUntil: 'domcontentloaded' });
    assert.equal(res?.status(), 200, `GET /api/docs answered ${res?.status()}`);
    await assertCsp(res);
    // Known text from the served spec: an operation's path and its summary, and the title.
    const op = page.locator('.opblock', { has: page.locator('.opblock-summary-path', { hasText: /^\/api\/ingest\/upload$/ }) });
    await op.first().waitFor();
    await op.first().getByText(upload.summary).waitFor();
    await page.getByRole('heading', { name: new RegExp(`^${spec.info.title}\\b`) }).first().waitFor();
    // Expanding an operation renders its parameters and responses (the UI works, not only the list).
    await op.first().locator('.opblock-summary-control').click();
    await op.first().locator('.responses-wrapper').waitFor();
    await page.screenshot({ path: join(SHOTS, 'api-docs-1280.png'), fullPage: false });
    assert.deepEqual(foreign, [], 'requests to other hosts were tried');
    assert.deepEqual(await cspViolations(page), [], 'CSP violations');
    assert.deepEqual(errors, [], 'console errors');
  });

  it('the dashboard runs under the same policy', async () => {
    const res = await page.goto(`${BASE_URL}/`, { waitUntil: 'domcontentloaded' });
    assert.ok(res?.ok(), `GET / answered ${res?.status()}`);
    await assertCsp(res);
    await page.getByRole('heading', { name: 'Upload files' }).waitFor();
    await page.locator('[data-testid^="health-"]').first().waitFor();
    // Open loopback mode: no token asked for, open access shown.
    await page.locator('[data-testid="auth-status"][data-auth="open"]').waitFor();
    assert.equal(await page.getByRole('dialog').count(), 0, 'no token dialog in open mode');
    await page.getByRole('link', { name: 'Activity' }).click();
    await page.getByRole('heading', { name: 'Activity' }).first().waitFor();
    assert.deepEqual(foreign, [], 'requests to other hosts were tried');
    assert.deepEqual(await cspViolations(page), [], 'CSP violations');
    assert.deepEqual(errors, [], 'console errors');
  });
});
