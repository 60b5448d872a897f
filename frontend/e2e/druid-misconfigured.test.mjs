// What a person sees in the dashboard when Druid's S3 setting is wrong: the Druid
// indicator is red and says why; an upload fails within seconds, and the task shows
// Druid's own words and the setting to fix.
//
//   E2E_MISCONFIGURED_URL  (required) an `ingest serve` whose DRUID_URL is the broken-endpoint
//                          overlord of `scripts/stack.sh` (STACK_SERVICES=druid-broken)
//   E2E_DATA_CSV, E2E_SCREENSHOT_DIR as in dashboard.test.mjs
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { launch } from './browser.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');
const BASE_URL = process.env.E2E_MISCONFIGURED_URL?.replace(/\/+$/, '');
const DATA_CSV = resolve(process.env.E2E_DATA_CSV ?? join(repoRoot, 'data.csv'));
const SHOTS = resolve(process.env.E2E_SCREENSHOT_DIR ?? join(repoRoot, 'artifacts/screenshots'));
const DATASOURCE = `e2e_misconfigured_${Date.now()}`;

if (!BASE_URL) {
  throw new Error('E2E_MISCONFIGURED_URL is not set: scripts/e2e.sh starts that server when the stack runs druid-broken.');
}
mkdirSync(SHOTS, { recursive: true });

describe('dashboard with a misconfigured Druid', { timeout: 180_000 }, () => {
  let browser;
  let page;
  const consoleErrors = [];

  before(async () => {
    browser = await launch({ width: 1280, height: 900 });
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.setDefaultTimeout(20_000);
    page.on('console', (msg) => {
      // /api/health rightly answers 503 here (Druid cannot read S3); Chromium logs that.
      if (msg.type() === 'error' && !/Failed to load resource.*503/.test(msg.text())) consoleErrors.push(msg.text());
    });
    page.on('pageerror', (err) => consoleErrors.push(`page error: ${err.message}`));
  });

  after(async () => {
    await browser?.close();
  });

  it('shows Druid as down, with Druid’s message and the setting to fix', async () => {
    await page.goto(`${BASE_URL}/`);
    await page.getByRole('heading', { name: 'Upload files' }).waitFor();
    const chip = page.getByTestId('health-druid');
    await chip.waitFor();
    assert.equal(await chip.getAttribute('data-ok'), 'false', 'the Druid indicator is red before any upload');
    await chip.click();
    const details = page.getByRole('dialog', { name: 'Druid status' });
    await details.waitFor();
    const text = await details.innerText();
    assert.match(text, /cannot read uploads from S3/);
    assert.match(text, /Connection refused/);
    assert.match(text, /druid_s3_endpoint_url/);
    await page.waitForTimeout(400); // let the popover finish fading in
    await page.screenshot({ path: join(SHOTS, 'druid-misconfigured-health-1280.png') });
    await page.keyboard.press('Escape');
  });

  it('fails the upload with Druid’s message and a hint naming the setting', async () => {
    await page.getByTestId('datasource-input').fill(DATASOURCE);
    await page.getByTestId('file-input').setInputFiles(DATA_CSV);
    await page.getByTestId('upload-button').click();
    const item = page.locator('[data-testid="upload-item"]', { hasText: basename(DATA_CSV) }).first();
    const progress = item.getByTestId('task-progress');
    await progress.waitFor({ timeout: 60_000 });
    await page.waitForFunction(
      () => {
        const s = document.querySelector('[data-testid="upload-item"] [data-testid="task-progress"]')?.getAttribute('data-status');
        return s === 'succeeded' || s === 'failed' || s === 'cancelled';
      },
      null,
      { timeout: 120_000, polling: 500 },
    );
    assert.equal(await progress.getAttribute('data-status'), 'failed', await progress.innerText());
    assert.match(await progress.innerText(), /Connection refused/, 'Druid’s own words, right under the upload');

    const taskId = await progress.getAttribute('data-task-id');
    await page.goto(`${BASE_URL}/tasks/${taskId}`);
    const error = page.getByTestId('task-error');
    await error.waitFor();
    const text = await error.innerText();
    assert.match(text, /sampler/i);
    assert.match(text, /Connection refused/);
    assert.match(text, /Hint:.*druid_s3_endpoint_url/s);
    assert.match(text, /druid_cannot_read_input/);
    // Validation itself passed: the report is there, and nothing is claimed as ingested.
    await page.getByTestId('validation-report').waitFor();
    assert.match(await page.getByTestId('rows-accepted').innerText(), /—/, 'no rows are shown as accepted into Druid');
    await page.screenshot({ path: join(SHOTS, 'druid-misconfigured-1280.png'), fullPage: true });

    // "Run again" re-runs it from the stored upload; with Druid still misconfigured it fails
    // the same way (after the fix it lands, which crates/api/tests/api/broken_druid.rs proves).
    const detail = page.getByTestId('task-detail');
    await page.getByRole('button', { name: 'Run again' }).click();
    await detail.getByTestId('task-runs').waitFor();
    assert.match(await detail.getByTestId('task-runs').innerText(), /run 2/);
    await page.waitForFunction(() => document.querySelector('[data-testid="task-detail"]')?.getAttribute('data-status') === 'failed', null, { timeout: 60_000, polling: 500 });
    assert.match(await detail.getByTestId('task-error').innerText(), /druid_s3_endpoint_url/);
  });

  it('logged no console errors', () => {
    assert.deepEqual(consoleErrors, []);
  });
});
