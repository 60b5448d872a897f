// Launches Debian's Chromium through playwright-core (no browser downloads).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A persistent context in a fresh, throw-away user-data-dir. Call close() when done. */
export async function launch({ width = 1280, height = 900 } = {}) {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run \`scripts/frontend.sh install\` (apt-get install chromium).`);
  }
  const userDataDir = mkdtempSync(join(tmpdir(), 'ingest-e2e-profile-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width, height },
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  const close = async () => {
    await context.close().catch(() => {});
    rmSync(userDataDir, { recursive: true, force: true });
  };
  return { context, close };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/**
 * Aborts every http(s) request to a host other than loopback and records it, so a
 * test can assert nothing tried to reach the internet (a CDN, fonts, a validator).
 */
export async function isolate(context) {
  const foreign = [];
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if ((url.protocol === 'http:' || url.protocol === 'https:') && !LOOPBACK.has(url.hostname)) {
      foreign.push(url.href);
      await route.abort('blockedbyclient');
      return;
    }
    await route.continue();
  });
  // CSP violations, seen by the page itself (Playwright's init scripts are not subject to the CSP).
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'}`);
    });
  });
  return { foreign };
}

/**
 * Console errors and uncaught exceptions of a page; `allow` lists RegExps of expected
 * console errors, matched against "text (url)".
 */
export function watchErrors(page, allow = []) {
  const errors = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const line = `${msg.text()} (${msg.location().url})`;
    if (allow.some((re) => re.test(line))) return;
    errors.push(`console.error: ${line}`);
  });
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  return errors;
}

/** The CSP violations the page has seen since it loaded. */
export function cspViolations(page) {
  return page.evaluate(() => window.__cspViolations ?? []);
}
