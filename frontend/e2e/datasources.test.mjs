// Datasources in real Chromium against a running `ingest serve` (issue 11): a multi-file drop
// targets one datasource per file; an existing name shows "appends to existing"; a datasource's
// page lists its uploads and sample rows; delete with typed confirmation removes it.
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

const stamp = Date.now().toString(36);
// Two files dropped together; each is named after itself.
const FILES = [`e2e_orders_${stamp}`, `e2e_stores_${stamp}`];
const csv = (rows) => ['time,store,units', ...rows.map((i) => `2024-01-0${1 + (i % 7)}T0${i % 10}:00:00Z,store-${i % 3},${i}`)].join('\n') + '\n';

async function api(path, init) {
  const res = await fetch(`${BASE_URL}${path}`, init);
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
}

/** Waits until both tasks of the batch have finished (server truth, not the page). */
async function waitForTasks(names) {
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    const done = await Promise.all(
      names.map(async (name) => {
        const { body } = await api(`/api/ingest/tasks?datasource=${name}`);
        return body.tasks.length > 0 && body.tasks.every((t) => ['succeeded', 'failed', 'cancelled'].includes(t.status)) ? body.tasks : null;
      }),
    );
    if (done.every(Boolean)) return done.flat();
    assert.ok(Date.now() < deadline, 'the uploads did not finish in time');
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('datasources', { timeout: TIMEOUT + 120_000 }, () => {
  let browser;
  let page;
  const consoleErrors = [];

  before(async () => {
    browser = await launch({ width: 1280, height: 900 });
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (err) => consoleErrors.push(`page error: ${err.message}`));
  });

  after(async () => {
    await browser?.close();
  });

  it('sends each file of a multi-file drop to its own datasource', async () => {
    await page.goto(`${BASE_URL}/`);
    await page.getByRole('heading', { name: 'Upload files' }).waitFor();
    await page.getByTestId('file-input').setInputFiles([
      { name: `${FILES[0]}.csv`, mimeType: 'text/csv', buffer: Buffer.from(csv([...Array(30).keys()])) },
      { name: `${FILES[1]}.csv`, mimeType: 'text/csv', buffer: Buffer.from(csv([1, 2, 3])) },
    ]);
    const fields = page.getByTestId('file-datasource-input');
    assert.deepEqual(await fields.evaluateAll((els) => els.map((e) => e.value)), FILES);
    await page.screenshot({ path: join(SHOTS, 'upload-multi-file-1280.png'), fullPage: true });
    await page.getByTestId('upload-button').click();
    const tasks = await waitForTasks(FILES);
    assert.deepEqual(tasks.map((t) => t.status), ['succeeded', 'succeeded']);
    assert.deepEqual(tasks.map((t) => t.datasource).sort(), [...FILES].sort(), 'one datasource per file');
  });

  it('marks an existing name as "appends to existing"', async () => {
    await page.reload();
    const input = page.getByTestId('datasource-input');
    // The page's list of datasources refreshes every 15 s; the fresh page load has it.
    await input.fill(FILES[0]);
    const cue = page.getByTestId('datasource-cue');
    // "New datasource" until the list of existing ones has arrived.
    await page.waitForFunction(() => document.querySelector('[data-testid="datasource-cue"]')?.getAttribute('data-kind') === 'existing');
    assert.match(await cue.innerText(), /Appends to existing \(30 rows\)/);
    await page.screenshot({ path: join(SHOTS, 'upload-existing-name-1280.png') });
    await input.fill(`${FILES[0]}_new`);
    assert.equal(await cue.innerText(), 'New datasource');
    await input.fill('');
  });

  it('lists datasources in a table whose names lead to their page with uploads and sample rows', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Datasources' }).click();
    await page.getByTestId('datasource-search').fill(stamp);
    const rows = page.getByTestId('datasource-row');
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="datasource-row"]').length === n, FILES.length);
    assert.deepEqual(await rows.evaluateAll((els) => els.map((e) => e.dataset.name)), FILES);
    await page.screenshot({ path: join(SHOTS, 'datasources-table-1280.png'), fullPage: true });
    await page.getByRole('link', { name: FILES[0], exact: true }).click();
    await page.waitForURL(`**/datasources/${FILES[0]}`);
    const detail = page.getByTestId('datasource-detail');
    await detail.waitFor();
    await page.getByTestId('sample-row').first().waitFor();
    assert.equal(await page.getByTestId('sample-row').count(), 20, 'the first 20 rows by time');
    const uploads = page.getByTestId('upload-row');
    assert.equal(await uploads.count(), 1);
    assert.match(await uploads.first().innerText(), new RegExp(`${FILES[0]}\\.csv`));
    assert.match(await uploads.first().getByRole('link').getAttribute('href'), /^\/tasks\//);
    await page.locator('[data-testid="chart-datasource"] svg').first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(SHOTS, 'datasource-page-1280.png'), fullPage: true });
  });

  it('fits a phone-width screen (390 px)', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [path, name, ready] of [
      ['/datasources', 'datasources-table', 'datasources-table'],
      [`/datasources/${FILES[0]}`, 'datasource-page', 'datasource-detail'],
    ]) {
      await page.goto(`${BASE_URL}${path}`);
      await page.getByTestId(ready).first().waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `${path} scrolls sideways by ${overflow}px at 390px`);
      await page.screenshot({ path: join(SHOTS, `${name}-390.png`), fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('deletes a datasource after its name is typed', async () => {
    await page.goto(`${BASE_URL}/datasources/${FILES[1]}`);
    await page.getByTestId('datasource-detail').waitFor();
    await page.getByRole('button', { name: 'Delete datasource' }).click();
    const confirm = page.getByTestId('delete-confirm-button');
    assert.ok(await confirm.isDisabled(), 'nothing is deleted before the name is typed');
    await page.getByTestId('delete-confirm-input').fill(FILES[1].slice(0, -1));
    assert.ok(await confirm.isDisabled(), 'a wrong name deletes nothing');
    await page.getByTestId('delete-confirm-input').fill(FILES[1]);
    await page.screenshot({ path: join(SHOTS, 'datasource-delete-1280.png') });
    await confirm.click();
    await page.waitForURL(/\/datasources$/);
    assert.equal((await api(`/api/datasources/${FILES[1]}`)).status, 404, 'the API no longer has it');
    await page.getByTestId('datasource-search').fill(stamp);
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="datasource-row"]').length === n, 1);
    assert.equal((await api(`/api/datasources/${FILES[0]}`)).status, 200, 'the other datasource stays');
  });

  it('raised no page errors', () => {
    assert.deepEqual(consoleErrors, []);
  });
});
