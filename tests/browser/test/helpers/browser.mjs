// Debian's chromium, headless, driven by playwright-core: never a browser
// download. Each browser gets a fresh profile (user-data dir), removed on
// close. A page opened with openPage() records its console errors, uncaught
// exceptions and CSP violations, for the tests to assert there are none.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * A persistent context on a fresh profile: { context, close() }. Fails, never skips, without chromium.
 * `home`: the HOME Chromium runs with (helpers/tls.mjs: one whose NSS database trusts a test CA).
 */
export async function launchBrowser({ home } = {}) {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM}: no such file. The browser tests need Debian's chromium ` +
        '(make test installs it: it is in the Makefile\'s TEST_DEBS; by hand: apt-get install chromium)',
    );
  const profile = mkdtempSync(join(tmpdir(), 'ringcast-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1280, height: 900 },
      timeout: 30_000,
      ...(home && { env: { ...process.env, HOME: home } }),
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw new Error(`chromium (${CHROMIUM}) could not start: ${error.message}`);
  }
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A new tab at `url`, with `problems`: its console errors, page errors and CSP violations. */
export async function openPage(context, url) {
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  await page.goto(url);
  return { page, problems };
}

/** Saves a screenshot as a test artifact: $RINGCAST_ARTIFACTS (meson: the build dir's tests/browser/), else the temp dir. */
export async function screenshot(page, name) {
  const dir = process.env.RINGCAST_ARTIFACTS || join(tmpdir(), 'ringcast-browser-artifacts');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
