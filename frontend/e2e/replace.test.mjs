// A replace in real Chromium against a running `ingest serve`, for each sink:
// it shows the rows it will drop, waits for a keyboard-operated confirmation,
// and afterwards the rows outside the file's days are still there (counted
// through the API, and for Druid also by Druid SQL itself).
//
//   E2E_BASE_URL        (required) the server (local sink) that serves frontend/dist at /
//   E2E_DRUID_BASE_URL  a server whose sink is the real Druid (scripts/e2e.sh starts one
//                       when the stack runs Druid); with E2E_DRUID_SQL_URL, Druid's own URL
//   E2E_SCREENSHOT_DIR  where screenshots go (default: <repo>/artifacts/screenshots)
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { launch } from './browser.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const trim = (url) => url?.replace(/\/+$/, '');
const LOCAL_URL = trim(process.env.E2E_BASE_URL);
const DRUID_BASE_URL = trim(process.env.E2E_DRUID_BASE_URL);
const DRUID_SQL_URL = trim(process.env.E2E_DRUID_SQL_URL);
const SHOTS = resolve(process.env.E2E_SCREENSHOT_DIR ?? join(here, '../../artifacts/screenshots'));

if (!LOCAL_URL) throw new Error('E2E_BASE_URL is not set (see e2e/dashboard.test.mjs).');
mkdirSync(SHOTS, { recursive: true });

/** `perDay` rows on each of `days` days from 2024-01-01. */
function dailyCsv(days, perDay) {
  const lines = ['time,v'];
  for (let d = 0; d < days; d += 1) {
    const day = new Date(Date.UTC(2024, 0, 1 + d)).toISOString().slice(0, 10);
    for (let n = 0; n < perDay; n += 1) lines.push(`${day}T${String(n + 1).padStart(2, '0')}:30:00Z,${n}`);
  }
  return lines.join('\n') + '\n';
}

/** Druid's own count of a datasource's rows, by SQL at Druid (not through our API). */
async function druidCount(sqlUrl, datasource) {
  const res = await fetch(`${sqlUrl}/druid/v2/sql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ query: `SELECT COUNT(*) AS n FROM "${datasource}"` }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const [row] = await res.json();
  return row.n;
}

function replaceSuite(sink, BASE_URL, sqlUrl) {
  const DATASOURCE = `e2e_replace_${sink}_${Date.now()}`;

  async function api(path, init) {
    const res = await fetch(`${BASE_URL}${path}`, init);
    return { status: res.status, body: await res.json() };
  }

  async function rows() {
    const { status, body } = await api(`/api/datasources/${DATASOURCE}`);
    assert.equal(status, 200, JSON.stringify(body));
    return body.row_count;
  }

  /** Polls the task until `done(task)`; the server's workers run it. */
  async function waitForTask(id, done) {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const { body } = await api(`/api/ingest/status/${id}`);
      if (done(body)) return body;
      if (Date.now() > deadline) assert.fail(`task ${id} stayed ${body.status}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  describe(`replace (${sink} sink)`, { timeout: 300_000 }, () => {
    let browser;
    let page;
    let taskId;

    before(async () => {
      // January to March, 3 rows a day: 273 rows.
      const form = new FormData();
      form.append('file', new Blob([dailyCsv(91, 3)], { type: 'text/csv' }), 'quarter.csv');
      form.append('datasource_name', DATASOURCE);
      const { status, body } = await api('/api/ingest/upload', { method: 'POST', body: form });
      assert.equal(status, 202, JSON.stringify(body));
      const task = await waitForTask(body.task_id, (t) => ['succeeded', 'failed', 'cancelled'].includes(t.status));
      assert.equal(task.status, 'succeeded', JSON.stringify(task.error));
      assert.equal(await rows(), 273);
      browser = await launch({ width: 1280, height: 900 });
      page = browser.context.pages()[0] ?? (await browser.context.newPage());
      page.setDefaultTimeout(20_000);
    });

    after(async () => {
      await browser?.close();
    });

    it('names the granularity, then shows what the replace will drop and waits', async () => {
      await page.goto(`${BASE_URL}/`);
      await page.getByTestId('datasource-input').fill(DATASOURCE);
      await page.getByRole('button', { name: 'Replace', exact: true }).click();
      assert.match(await page.getByTestId('mode-help').innerText(), /whole UTC days/);
      // January 1–7, 2 rows a day: replaces the 21 rows of those days.
      await page.getByTestId('file-input').setInputFiles({ name: 'week.csv', mimeType: 'text/csv', buffer: Buffer.from(dailyCsv(7, 2)) });
      await page.getByTestId('upload-button').click();
      const progress = page.locator('[data-testid="upload-item"]', { hasText: 'week.csv' }).getByTestId('task-progress');
      await progress.waitFor({ timeout: 60_000 });
      taskId = await progress.getAttribute('data-task-id');
      await waitForTask(taskId, (t) => t.status !== 'queued' && t.status !== 'validating');
      await page.waitForFunction(
        (id) => document.querySelector(`[data-testid="task-progress"][data-task-id="${id}"]`)?.getAttribute('data-status') === 'awaiting_confirmation',
        taskId,
        { timeout: 30_000 },
      );
      const effect = await progress.getByTestId('replace-effect').innerText();
      assert.match(effect, /replaces 21 rows between 2024-01-01 00:00 UTC and 2024-01-08 00:00 UTC/);
      assert.match(effect, /252 rows outside stay/);
      assert.equal(await rows(), 273, 'nothing is dropped before the confirmation');
      await page.screenshot({ path: join(SHOTS, `replace-waiting-${sink}-1280.png`), fullPage: true });
    });

    it('confirms from the task page with the keyboard alone', async () => {
      await page.goto(`${BASE_URL}/tasks/${taskId}`);
      const review = page.getByTestId('replace-effect').getByRole('button', { name: 'Review replace' });
      await review.focus();
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      assert.match(await dialog.innerText(), /replaces 21 rows/);
      assert.ok(await dialog.evaluate((el) => el.contains(document.activeElement)), 'focus moves into the dialog');
      await page.screenshot({ path: join(SHOTS, `replace-dialog-${sink}-1280.png`), fullPage: true });
      // Escape closes it without doing anything.
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      assert.equal((await api(`/api/ingest/status/${taskId}`)).body.status, 'awaiting_confirmation');
      await review.focus();
      await page.keyboard.press('Enter');
      await dialog.waitFor();
      const confirm = dialog.getByRole('button', { name: 'Replace 21 rows' });
      for (let i = 0; i < 5 && !(await confirm.evaluate((el) => el === document.activeElement)); i += 1) {
        await page.keyboard.press('Tab');
      }
      assert.ok(await confirm.evaluate((el) => el === document.activeElement), 'Confirm is reachable with Tab');
      await page.keyboard.press('Enter');
      await page.waitForFunction(
        () => document.querySelector('[data-testid="task-detail"]')?.getAttribute('data-status') === 'succeeded',
        null,
        { timeout: 120_000, polling: 500 },
      );
    });

    it('kept every row outside the file’s days', async () => {
      assert.equal(await rows(), 273 - 21 + 14);
      if (sqlUrl) assert.equal(await druidCount(sqlUrl, DATASOURCE), 273 - 21 + 14, 'Druid SQL agrees');
      const { body } = await api(`/api/datasources/${DATASOURCE}/timeseries?granularity=day`);
      const perDay = Object.fromEntries(body.points.map((p) => [p.time.slice(0, 10), p.rows]));
      assert.equal(perDay['2024-01-01'], 2, 'January 1–7 hold the file’s rows');
      assert.equal(perDay['2024-01-08'], 3, 'January 8 stays');
      assert.equal(perDay['2024-02-15'], 3, 'February stays');
      assert.equal(perDay['2024-03-31'], 3, 'March stays');
    });
  });
}

replaceSuite('local', LOCAL_URL);
if (DRUID_BASE_URL) replaceSuite('druid', DRUID_BASE_URL, DRUID_SQL_URL);
