// Preview before upload in real Chromium against a running `ingest serve` (issue 10 §7,
// issue 11 §2): a dropped file shows its first rows at once; a column's type is changed in
// the preview table and the upload carries it as `column_types`; a file whose columns differ
// from the existing datasource's says so before it is uploaded.
//
//   E2E_BASE_URL (required), E2E_TIMEOUT_MS, E2E_SCREENSHOT_DIR as in dashboard.test.mjs
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { launch } from './browser.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BASE_URL = process.env.E2E_BASE_URL?.replace(/\/+$/, '');
const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS ?? 300_000);
const SHOTS = resolve(process.env.E2E_SCREENSHOT_DIR ?? join(repoRoot, 'artifacts/screenshots'));
if (!BASE_URL) throw new Error('E2E_BASE_URL is not set (see dashboard.test.mjs).');
mkdirSync(SHOTS, { recursive: true });

const DATASOURCE = `e2e_preview_${Date.now().toString(36)}`;
// `store` holds five-digit numbers (no leading zeros, and a name that does not say "code"): detected as a
// number, chosen as a string in the preview.
const csv = (n, extra = false) =>
  [
    `time,store,units${extra ? ',coupon' : ''}`,
    ...[...Array(n).keys()].map((i) => `2024-02-0${1 + (i % 7)}T00:00:00Z,${10000 + i},${i}${extra ? `,C${i}` : ''}`),
  ].join('\n') + '\n';

const FINISHED = ['succeeded', 'failed', 'cancelled'];

async function api(path, init) {
  const res = await fetch(`${BASE_URL}${path}`, init);
  return { status: res.status, body: await res.json() };
}

async function waitForTask(id) {
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    const { body } = await api(`/api/ingest/status/${id}`);
    if (FINISHED.includes(body.status)) return body;
    assert.ok(Date.now() < deadline, `task ${id} did not finish in time`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('preview before upload', { timeout: TIMEOUT + 120_000 }, () => {
  let browser;
  let page;
  const pageErrors = [];

  before(async () => {
    browser = await launch({ width: 1280, height: 900 });
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (err) => pageErrors.push(`page error: ${err.message}`));
    // Chromium does not show a test the body of a multipart request with a file, so the page
    // records the text fields of each form the dashboard sends with XHR (the upload).
    await browser.context.addInitScript(() => {
      window.__sentForms = [];
      const send = XMLHttpRequest.prototype.send;
      XMLHttpRequest.prototype.send = function (body) {
        if (body instanceof FormData) window.__sentForms.push(Object.fromEntries([...body.entries()].filter(([, v]) => typeof v === 'string')));
        return send.call(this, body);
      };
    });
  });

  after(async () => {
    await browser?.close();
  });

  it('shows a dropped file’s first rows, and the upload carries the type chosen for a column', async () => {
    await page.goto(`${BASE_URL}/`);
    await page.getByTestId('datasource-input').fill(DATASOURCE);
    // Dropped onto the drop zone, as a person would drag it from their file manager.
    await page.getByTestId('dropzone').evaluate((zone, text) => {
      const data = new DataTransfer();
      data.items.add(new File([text], 'zips.csv', { type: 'text/csv' }));
      for (const type of ['dragenter', 'dragover', 'drop']) {
        zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: data }));
      }
    }, csv(80));
    const table = page.getByTestId('preview-table');
    await table.waitFor();
    assert.equal(await table.getByTestId('preview-row').count(), 50, 'the first 50 rows');
    // As they will be ingested: the time column as a UTC time, numbers as numbers.
    const first = await table.getByTestId('preview-row').first().locator('td').allInnerTexts();
    assert.deepEqual(first, ['2', '2024-02-01T00:00:00.000Z', '10000', '0']);
    assert.equal(await page.getByLabel('Time column').inputValue(), 'time');
    const storeType = page.getByLabel('Type of store');
    assert.equal(await storeType.inputValue(), 'long', 'detected as a number');
    await storeType.selectOption('string');
    await page.screenshot({ path: join(SHOTS, 'upload-preview-1280.png'), fullPage: true });

    const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/ingest/upload');
    await page.getByTestId('upload-button').click();
    await page.waitForFunction(() => window.__sentForms.length > 0);
    const fields = await page.evaluate(() => window.__sentForms[0]);
    assert.equal(fields.datasource_name, DATASOURCE);
    assert.ok(fields.column_types, 'the upload has a column_types part');
    assert.deepEqual(JSON.parse(fields.column_types), { store: 'string' });
    assert.equal(fields.timestamp_column, undefined, 'the detected time column is not sent');
    const accepted = await (await answered).json();
    const task = await waitForTask(accepted.task_id);
    assert.equal(task.status, 'succeeded', JSON.stringify(task.error));

    // The server honours `column_types` (issue 10 §5): the chosen type is the ingested one.
    assert.ok(!accepted.warnings.some((w) => w.code === 'unknown_field'), JSON.stringify(accepted.warnings));
    const store = task.validation.columns.find((c) => c.name === 'store');
    assert.equal(store?.type, 'string', 'the chosen type is the ingested one');
  });

  it('says before upload how a file’s columns differ from the existing datasource', async () => {
    await page.reload();
    // The page's list of existing datasources (with their columns) comes with the load.
    await page.getByTestId('datasource-input').fill(DATASOURCE);
    await page.waitForFunction(() => document.querySelector('[data-testid="datasource-cue"]')?.getAttribute('data-kind') === 'existing');
    await page.getByTestId('file-input').setInputFiles({ name: 'zips-more.csv', mimeType: 'text/csv', buffer: Buffer.from(csv(10, true)) });
    const notice = page.getByTestId('drift-notice');
    await notice.waitFor();
    assert.equal(await notice.getAttribute('data-drift'), 'yes');
    assert.match(await notice.getByTestId('drift-added').innerText(), /coupon/);
    await page.screenshot({ path: join(SHOTS, 'upload-preview-drift-1280.png'), fullPage: true });
    await page.getByRole('button', { name: 'Remove zips-more.csv' }).click();
  });

  it('raised no page errors', () => {
    assert.deepEqual(pageErrors, []);
  });
});
