// /demo in Chromium, served by the real ringcastd from its embedded pages: it
// loads under the strict CSP with no console error, connects, publishes what
// lands in its own history, shows an alert created over the API as a banner
// within 1 s, and reads the stats with the API key.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, openPage, screenshot } from './helpers/browser.mjs';
import { startDaemon } from './helpers/daemon.mjs';

let daemon;
let browser;

before(async () => {
  daemon = await startDaemon();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
});

test('the demo page connects, publishes, shows alerts and stats', async () => {
  const { page, problems } = await openPage(browser.context, `${daemon.base}/demo/`);
  await page.getByRole('status').filter({ hasText: 'Connected' }).first().waitFor({ timeout: 5000 });

  // Anonymous: no stats, no publishing, and it says why.
  assert.match(await page.locator('#h-stats').locator('..').innerText(), /Sign in to see/);
  assert.equal(await page.getByRole('button', { name: 'Publish' }).isDisabled(), true);

  await page.getByLabel('API key or admin token').fill(daemon.apiKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('stat-connections').waitFor({ timeout: 5000 });
  assert.ok(Number(await page.getByTestId('stat-connections').innerText()) >= 1);

  // A publish from the page arrives in its history (and as text: markup stays text).
  const text = `<b>demo ${Date.now()}</b>`;
  await page.getByLabel('Kind', { exact: true }).selectOption('notification');
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.getByRole('button', { name: 'Publish' }).click();
  await page.getByTestId('history').getByText(text, { exact: false }).waitFor({ timeout: 3000 });
  assert.equal(await page.locator('#root b').count(), 0, 'published text must never become markup');
  assert.match(await page.getByTestId('publish-result').innerText(), /Published/);

  // A broadcast (channel system) arrives in the history too.
  await page.getByLabel('Kind', { exact: true }).selectOption('broadcast');
  await page.getByLabel('Message', { exact: true }).fill('broadcast from the demo');
  await page.getByRole('button', { name: 'Publish' }).click();
  await page.getByTestId('history').getByText('broadcast from the demo', { exact: false }).waitFor({ timeout: 3000 });

  // A toast shows as one, for a while.
  await page.getByLabel('Kind', { exact: true }).selectOption('toast');
  await page.getByLabel('Message', { exact: true }).fill('toast from the demo');
  await page.getByRole('button', { name: 'Publish' }).click();
  await page.locator('.toast', { hasText: 'toast from the demo' }).waitFor({ timeout: 3000 });

  // An alert created over the API is a banner within 1 s.
  const title = `Maintenance ${Date.now()}`;
  const started = Date.now();
  const created = await daemon.api('POST', '/api/alerts', {
    title,
    message: 'The service restarts at 22:00 UTC',
    alert_type: 'warning',
    priority: 8,
    persistent: true,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await page.locator('.rc-banner', { hasText: title }).waitFor({ timeout: Math.max(1, 1000 - (Date.now() - started)) });
  assert.ok(Date.now() - started <= 1000, `banner after ${Date.now() - started} ms`);

  // Stats keep coming: a chart per figure, and the published events counted.
  await page.locator('.sparkline__line').first().waitFor({ state: 'attached', timeout: 5000 });
  await screenshot(page, 'demo');
  assert.deepEqual(problems, []);
});

test('a wrong key is refused with the API\'s message, inline', async () => {
  const { page, problems } = await openPage(browser.context, `${daemon.base}/demo/`);
  await page.getByLabel('API key or admin token').fill('not-the-key');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText(/Stats: 401/).waitFor({ timeout: 5000 });
  // A 401 from the API is a console error by Chromium's own rule (a failed resource): only those are tolerated.
  assert.deepEqual(problems.filter((p) => !/401 \(Unauthorized\)/.test(p)), []);
});

// Dismissed in one tab, gone in the other: anonymous (localStorage), then as a
// signed-in user (the dismiss API, which every stream of the user follows).
for (const who of ['an anonymous visitor', 'a signed-in user']) {
  test(`a banner ${who} dismisses in one tab is gone in the other`, async () => {
    if (who !== 'an anonymous visitor') {
      const t = await daemon.api('POST', '/api/tokens', { userId: '7', ttl: 600 });
      assert.equal(t.status, 200, JSON.stringify(t));
      await browser.context.addCookies([{ name: 'ringcast_token', value: t.body.token, url: daemon.base }]);
    }
    try {
      const one = await openPage(browser.context, `${daemon.base}/demo/`);
      const two = await openPage(browser.context, `${daemon.base}/demo/`);
      const title = `Dismiss me ${Date.now()}`;
      const created = await daemon.api('POST', '/api/alerts', { title, persistent: true, priority: 10 });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const banner = (p) => p.page.locator('.rc-banner', { hasText: title });
      await banner(one).waitFor({ timeout: 3000 });
      await banner(two).waitFor({ timeout: 3000 });
      await banner(one).getByRole('button', { name: `Dismiss: ${title}` }).click();
      await banner(two).waitFor({ state: 'detached', timeout: 2000 });
      await banner(one).waitFor({ state: 'detached', timeout: 2000 });
      assert.deepEqual([...one.problems, ...two.problems], []);
      await one.page.close();
      await two.page.close();
    } finally {
      await browser.context.clearCookies();
    }
  });
}
