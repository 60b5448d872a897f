// End-to-end test of the dashboard in real Chromium against a running `ingest serve`.
//
//   E2E_BASE_URL       (required) e.g. http://127.0.0.1:8000 — the server that serves frontend/dist at /
//   E2E_DATA_CSV       CSV to upload (default: ../data.csv relative to frontend/)
//   E2E_EXPECTED_ROWS  rows the server should accept from it (checked when set)
//   E2E_DATASOURCE     datasource to upload into (default: e2e_<timestamp>)
//   E2E_TIMEOUT_MS     how long the task may take to succeed (default 300000)
//   E2E_SCREENSHOT_DIR where screenshots go (default: <repo>/artifacts/screenshots)
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { launch } from './browser.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const frontendDir = resolve(here, '..');
const repoRoot = resolve(frontendDir, '..');

const BASE_URL = process.env.E2E_BASE_URL?.replace(/\/+$/, '');
const DATA_CSV = process.env.E2E_DATA_CSV ? resolve(process.env.E2E_DATA_CSV) : resolve(frontendDir, '../data.csv');
const EXPECTED_ROWS = process.env.E2E_EXPECTED_ROWS ? Number(process.env.E2E_EXPECTED_ROWS) : null;
const DATASOURCE = process.env.E2E_DATASOURCE ?? `e2e_${Date.now()}`;
const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS ?? 300_000);
const SHOTS = resolve(process.env.E2E_SCREENSHOT_DIR ?? join(repoRoot, 'artifacts/screenshots'));

if (!BASE_URL) {
  throw new Error(
    'E2E_BASE_URL is not set. Start `ingest serve` (serving frontend/dist) and run e.g.\n' +
      '  E2E_BASE_URL=http://127.0.0.1:8000 E2E_DATA_CSV=../data.csv E2E_EXPECTED_ROWS=1000 scripts/frontend.sh e2e',
  );
}
if (!existsSync(DATA_CSV) || !statSync(DATA_CSV).isFile()) {
  throw new Error(`E2E_DATA_CSV points to ${DATA_CSV}, which is not a file.`);
}
if (EXPECTED_ROWS !== null && !Number.isInteger(EXPECTED_ROWS)) {
  throw new Error(`E2E_EXPECTED_ROWS must be an integer, got "${process.env.E2E_EXPECTED_ROWS}".`);
}
mkdirSync(SHOTS, { recursive: true });

const digits = (s) => Number(String(s).replace(/[^0-9]/g, ''));

describe('dashboard', { timeout: TIMEOUT + 240_000 }, () => {
  let browser;
  let page;
  let taskId;
  const consoleErrors = [];
  const expectedErrors = [];

  before(async () => {
    browser = await launch({ width: 1280, height: 900 });
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.setDefaultTimeout(20_000);
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const text = msg.text();
      // A deliberately rejected upload makes Chromium log the failed request; that one is expected.
      const i = expectedErrors.findIndex((re) => re.test(text));
      if (i >= 0) {
        expectedErrors.splice(i, 1);
        return;
      }
      consoleErrors.push(`console.error: ${text}`);
    });
    page.on('pageerror', (err) => consoleErrors.push(`page error: ${err.message}`));
  });

  after(async () => {
    await browser?.close();
  });

  it('opens / with the connection status in the app bar', async () => {
    const res = await page.goto(`${BASE_URL}/`, { waitUntil: 'domcontentloaded' });
    assert.ok(res && res.ok(), `GET / answered ${res?.status()}`);
    assert.match(await res.headerValue('content-type'), /text\/html/, 'GET / with a browser Accept header must serve the dashboard');
    await page.getByRole('heading', { name: 'Upload files' }).waitFor();
    // One indicator per /api/health check (database, object_store, druid|local_sink).
    await page.locator('[data-testid^="health-"]').first().waitFor();
    const names = await page.locator('[data-testid^="health-"]').evaluateAll((els) => els.map((e) => e.dataset.testid));
    assert.ok(names.includes('health-database'), `health indicators: ${names.join(', ')}`);
    assert.ok(names.includes('health-object_store'), `health indicators: ${names.join(', ')}`);
    assert.ok(names.includes('health-druid') || names.includes('health-local_sink'), `health indicators: ${names.join(', ')}`);
  });

  it('explains an invalid datasource name in words and does not upload', async () => {
    const input = page.getByTestId('datasource-input');
    await input.fill('9 bad.name');
    await input.blur();
    const helper = page.locator('#' + (await input.getAttribute('id')) + '-helper-text');
    await helper.waitFor();
    assert.match(await helper.innerText(), /must start with a letter/i);
    await input.fill('bad name');
    assert.match(await helper.innerText(), /not allowed: space/i);
    await page.getByTestId('file-input').setInputFiles(DATA_CSV);
    await page.getByTestId('upload-button').click();
    assert.equal(await page.getByTestId('upload-item').count(), 0, 'an invalid name must not start an upload');
    await page.screenshot({ path: join(SHOTS, 'invalid-name-1280.png'), fullPage: true });
    await page.getByLabel(`Remove ${basename(DATA_CSV)}`).click();
  });

  it('shows byte progress while uploading and cancels on request', async () => {
    // A generated 3 MB CSV, uploaded at about 1 MB/s, so the bar is seen moving; then cancelled.
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 1024 * 1024 });
    try {
      await page.getByTestId('datasource-input').fill(`${DATASOURCE}_cancelled`);
      // Dropped onto the drop zone, as a person would drag it from their file manager.
      await page.getByTestId('dropzone').evaluate((zone) => {
        const lines = ['id,value'];
        for (let i = 0; lines.length < 200_000; i += 1) lines.push(`${i},${'x'.repeat(8)}`);
        const file = new File([lines.join('\n') + '\n'], 'big-cancelled.csv', { type: 'text/csv' });
        const data = new DataTransfer();
        data.items.add(file);
        for (const type of ['dragenter', 'dragover', 'drop']) {
          zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: data }));
        }
      });
      await page.getByTestId('upload-button').click();
      const item = page.locator('[data-testid="upload-item"]', { hasText: 'big-cancelled.csv' });
      const bar = item.getByTestId('upload-progress');
      await bar.waitFor();
      assert.equal(await bar.getAttribute('role'), 'progressbar');
      await page.waitForFunction(
        () => {
          const v = Number(document.querySelector('[data-testid="upload-item"] [data-testid="upload-progress"]')?.getAttribute('aria-valuenow'));
          return v > 0 && v < 100;
        },
        null,
        { timeout: 30_000, polling: 50 },
      );
      assert.match(await item.innerText(), /of 2\.\d MiB \(\d+%\)/);
      await page.screenshot({ path: join(SHOTS, 'uploading-1280.png'), fullPage: true });
      await item.getByRole('button', { name: 'Cancel' }).click();
      await page.locator('[data-testid="upload-item"][data-state="cancelled"]').waitFor();
      assert.match(await item.innerText(), /Upload cancelled/);
      await item.getByRole('button', { name: /Dismiss/ }).click();
    } finally {
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      await cdp.detach();
    }
  });

  it('uploads the CSV and follows it to succeeded', async () => {
    await page.getByTestId('datasource-input').fill(DATASOURCE);
    // Keyboard only: Tab to the drop zone, Enter opens the file chooser, Enter on Upload.
    // (Wait for the chooser before pressing keys so Playwright intercepts it in time.)
    let chooserWait = page.waitForEvent('filechooser', { timeout: 10_000 });
    await page.getByTestId('datasource-input').focus();
    for (let i = 0; i < 6; i += 1) {
      if (await page.getByTestId('dropzone').evaluate((el) => el === document.activeElement)) break;
      await page.keyboard.press('Tab');
    }
    assert.ok(await page.getByTestId('dropzone').evaluate((el) => el === document.activeElement), 'the drop zone is reachable with Tab');
    await page.keyboard.press('Enter');
    let chooser = await chooserWait.catch(() => null);
    if (!chooser) {
      // One more try: under heavy load the first key press can beat the interception.
      chooserWait = page.waitForEvent('filechooser', { timeout: 10_000 });
      await page.getByTestId('dropzone').focus();
      await page.keyboard.press('Enter');
      chooser = await chooserWait;
    }
    assert.ok(chooser.isMultiple(), 'several files can be chosen at once');
    await chooser.setFiles(DATA_CSV);
    await page.getByTestId('upload-button').focus();
    await page.keyboard.press('Enter');
    const item = page.locator('[data-testid="upload-item"]', { hasText: basename(DATA_CSV) }).first();
    await item.waitFor();
    const bar = item.getByTestId('upload-progress');
    await bar.waitFor();
    // The bar reaches 100 % once the server has answered 202.
    await page.waitForFunction(
      () => document.querySelector('[data-testid="upload-item"] [data-testid="upload-progress"]')?.getAttribute('aria-valuenow') === '100',
      null,
      { timeout: 120_000 },
    );
    const progress = item.getByTestId('task-progress');
    await progress.waitFor({ timeout: 30_000 });
    taskId = await progress.getAttribute('data-task-id');
    assert.ok(taskId, 'the accepted upload shows its task id');

    await page.waitForFunction(
      () => {
        const s = document.querySelector('[data-testid="upload-item"] [data-testid="task-progress"]')?.getAttribute('data-status');
        return s === 'succeeded' || s === 'failed' || s === 'cancelled';
      },
      null,
      { timeout: TIMEOUT, polling: 500 },
    );
    const status = await progress.getAttribute('data-status');
    assert.equal(status, 'succeeded', `task ${taskId} ended ${status}: ${await progress.innerText()}`);
    const rows = digits(await item.getByTestId('task-progress-rows').innerText());
    if (EXPECTED_ROWS !== null) assert.equal(rows, EXPECTED_ROWS, 'rows ingested');
    else assert.ok(rows > 0, 'some rows were ingested');

    // The live list shows the same task as succeeded.
    const row = page.locator(`[data-testid="task-row"][data-task-id="${taskId}"]`);
    await row.waitFor({ timeout: 15_000 });
    await page.waitForFunction((id) => document.querySelector(`[data-testid="task-row"][data-task-id="${id}"]`)?.getAttribute('data-status') === 'succeeded', taskId, { timeout: 15_000 });
    await page.screenshot({ path: join(SHOTS, 'home-1280.png'), fullPage: true });
  });

  it('shows a rejected upload’s error in words', async () => {
    // A file type the server does not accept (415) — or any other rejection — shows its message.
    expectedErrors.push(/Failed to load resource.*(4\d\d|503)/);
    // Its preview, asked for as soon as it is chosen, is refused the same way.
    expectedErrors.push(/Failed to load resource.*(4\d\d|503)/);
    await page.getByTestId('datasource-input').fill(DATASOURCE);
    await page.getByTestId('file-input').setInputFiles({ name: 'not-data.exe', mimeType: 'application/octet-stream', buffer: Buffer.from([0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0xff, 0xff, 0, 0]) });
    await page.getByTestId('upload-button').click();
    const failed = page.locator('[data-testid="upload-item"][data-state="failed"]').first();
    await failed.waitFor({ timeout: 30_000 });
    const alert = failed.getByRole('alert');
    const text = await alert.innerText();
    assert.match(text, /Upload rejected/);
    assert.match(text, /Error code:/);
    await failed.getByRole('button', { name: /Dismiss/ }).click();
  });

  it('opens the task detail view with stages, validation report and row counts', async () => {
    await page.locator(`[data-testid="upload-item"] [data-task-id="${taskId}"]`).getByRole('link', { name: 'Task details' }).click();
    await page.waitForURL(`**/tasks/${taskId}`);
    const detail = page.getByTestId('task-detail');
    await detail.waitFor();
    assert.equal(await detail.getAttribute('data-status'), 'succeeded');
    if (EXPECTED_ROWS !== null) assert.equal(digits(await page.getByTestId('rows-accepted').innerText()), EXPECTED_ROWS);
    await page.getByTestId('stage-timeline').waitFor();
    assert.ok((await page.getByTestId('stage-timeline').locator('li').count()) >= 1, 'at least one stage');
    await page.getByTestId('validation-report').waitFor();
    assert.ok((await page.getByRole('table', { name: 'Columns' }).locator('tbody tr').count()) > 0, 'the report lists columns');
    await page.screenshot({ path: join(SHOTS, 'task-detail-1280.png'), fullPage: true });
    // Deep links work (SPA fallback on the server).
    const res = await page.goto(`${BASE_URL}/tasks/${taskId}`);
    assert.ok(res?.ok(), `GET /tasks/${taskId} answered ${res?.status()}; the server needs an SPA fallback`);
    await page.getByTestId('task-detail').waitFor();
  });

  it('renders the activity charts', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Activity' }).click();
    for (const id of ['chart-files', 'chart-rows', 'chart-stages']) {
      await page.locator(`[data-testid="${id}"] svg`).first().waitFor({ timeout: 30_000 });
      const marks = await page.locator(`[data-testid="${id}"] svg`).first().evaluate((svg) => svg.querySelectorAll('rect, path').length);
      assert.ok(marks > 0, `${id} draws something`);
    }
    await page.screenshot({ path: join(SHOTS, 'activity-1280.png'), fullPage: true });
  });

  it('renders the datasource’s rows over time', async () => {
    // The list links each name to the datasource's page, which has the chart.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Datasources' }).click();
    await page.getByRole('link', { name: DATASOURCE, exact: true }).click();
    await page.waitForURL(`**/datasources/${DATASOURCE}`);
    const section = page.locator(`#datasource-${DATASOURCE}`);
    // A fresh datasource may take a moment to become queryable (e.g. Druid segment hand-off).
    const deadline = Date.now() + 120_000;
    for (;;) {
      if ((await section.count()) > 0 && (await section.locator('[data-testid="chart-datasource"] svg').count()) > 0) break;
      if (Date.now() > deadline) {
        assert.fail(`no rows-over-time chart for ${DATASOURCE}: ${(await page.locator('main').innerText()).slice(0, 500)}`);
      }
      await page.waitForTimeout(3000);
      await page.reload();
      await page.getByTestId('datasource-detail').waitFor();
    }
    const marks = await section.locator('[data-testid="chart-datasource"] svg').first().evaluate((svg) => svg.querySelectorAll('path').length);
    assert.ok(marks > 0, 'the line chart draws a path');
    await page.screenshot({ path: join(SHOTS, 'datasources-1280.png'), fullPage: true });
  });

  it('fits a phone-width screen (390 px)', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [path, name, ready] of [
      ['/', 'home', 'tasks-table'],
      [`/tasks/${taskId}`, 'task-detail', 'task-detail'],
      ['/activity', 'activity', 'chart-files'],
    ]) {
      await page.goto(`${BASE_URL}${path}`);
      await page.getByTestId(ready).first().waitFor();
      await page.waitForTimeout(300);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `${path} scrolls sideways by ${overflow}px at 390px`);
      await page.screenshot({ path: join(SHOTS, `${name}-390.png`), fullPage: true });
    }
  });

  it('logged no console errors', () => {
    assert.deepEqual(consoleErrors, []);
  });
});
