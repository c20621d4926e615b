// /admin in Chromium, end to end against the real daemon: sign in with the
// API key, a refused field shown inline, create an alert (a banner on a demo
// tab), a change by another admin shown live, edit, a version conflict, the
// reach preview, delete, and the connection list (every stream, anonymous ones
// too, in pages) with disconnect.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, openPage, screenshot } from './helpers/browser.mjs';
import { startDaemon } from './helpers/daemon.mjs';
import { until } from './helpers/wait.mjs';

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

// An anonymous stream opened from here (not the browser): its connection id,
// a promise that settles when the daemon ends it, and close().
async function openStream(base) {
  const ac = new AbortController();
  const res = await fetch(`${base}/api/sse/stream?channels=news`, { signal: ac.signal });
  assert.equal(res.status, 200);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let m;
  while (!(m = /"connectionId":"(c\d+-\d+)"/.exec(text))) {
    const { value, done } = await reader.read();
    assert.ok(!done, 'the stream ended before its connected event');
    text += decoder.decode(value, { stream: true });
  }
  const ended = (async () => {
    for (;;) if ((await reader.read()).done) return;
  })().catch(() => {});
  return { id: m[1], ended, close: () => ac.abort() };
}

// What Chromium logs by itself for a fetch answered 4xx: the refusals this test provokes on purpose.
const expected = (p) => /Failed to load resource: the server responded with a status of (400|409)/.test(p);

test('the admin page manages alerts and connections', async () => {
  // A demo tab of user 7 (a stream token in the cookie, as an app's backend would set it).
  const t = await daemon.api('POST', '/api/tokens', { userId: '7', ttl: 600 });
  assert.equal(t.status, 200, JSON.stringify(t));
  await browser.context.addCookies([{ name: 'ringcast_token', value: t.body.token, url: daemon.base }]);
  const demo = await openPage(browser.context, `${daemon.base}/demo/`);
  await demo.page.getByRole('status').filter({ hasText: 'Connected' }).first().waitFor({ timeout: 5000 });
  await browser.context.clearCookies();

  const { page, problems } = await openPage(browser.context, `${daemon.base}/admin/`);
  await page.getByLabel('API key or admin token').fill(daemon.apiKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('No alerts.').waitFor({ timeout: 5000 });

  // A refused field is shown beside it, with the API's message.
  const title = `Deploy ${Date.now()}`;
  await page.getByLabel('Title', { exact: true }).fill(title);
  await page.getByLabel('Message', { exact: true }).fill('Rolling out 2.0');
  await page.getByLabel('Type', { exact: true }).selectOption('warning');
  await page.getByLabel('Persistent', { exact: false }).check();
  await page.getByLabel('Actions (JSON)').fill('[{"label": "Go", "url": "javascript:alert(1)"}]');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.locator('#e-actions').waitFor({ timeout: 3000 });
  assert.match(await page.getByTestId('form-error').innerText(), /actions\[0\]\.url/);
  assert.equal(await page.getByLabel('Actions (JSON)').getAttribute('aria-invalid'), 'true');

  // The reach preview: the demo tab and this page's own stream are on the alerts channel.
  await page.getByLabel('Actions (JSON)').fill('[{"label": "Status", "url": "https://status.example.com", "style": "link"}]');
  await page.getByRole('button', { name: 'Preview reach' }).click();
  assert.match(await page.getByTestId('reach').innerText(), /Reaches 2 streams of 1 signed-in user/);

  // Create: the demo tab shows the banner.
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByTestId('notice').filter({ hasText: 'Created alert #1' }).waitFor({ timeout: 3000 });
  const banner = demo.page.locator('.rc-banner', { hasText: title });
  await banner.waitFor({ timeout: 1000 });
  assert.equal(await banner.getByRole('link', { name: 'Status' }).getAttribute('href'), 'https://status.example.com');

  // Another admin's change shows live, without a reload.
  const other = await daemon.api('POST', '/api/alerts', { title: 'Made elsewhere', alert_type: 'success' });
  assert.equal(other.status, 201);
  await page.locator('[data-testid=alerts] tr', { hasText: 'Made elsewhere' }).waitFor({ timeout: 2000 });

  // Edit: the banner follows.
  await page.getByRole('button', { name: `Edit alert 1: ${title}` }).click();
  await page.getByLabel('Title', { exact: true }).fill(title + ' (edited)');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByTestId('notice').filter({ hasText: 'Saved alert #1 (version 2)' }).waitFor({ timeout: 3000 });
  await demo.page.locator('.rc-banner', { hasText: title + ' (edited)' }).waitFor({ timeout: 2000 });

  // A version conflict: changed by someone else while being edited here.
  await page.getByRole('button', { name: `Edit alert 1: ${title} (edited)` }).click();
  const patched = await daemon.api('PATCH', '/api/alerts/1', { version: 2, priority: 9 });
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
  await page.getByLabel('Message', { exact: true }).fill('Mine');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Now at version 3').waitFor({ timeout: 3000 });
  await page.getByRole('button', { name: 'Load their version' }).click();
  assert.equal(await page.getByLabel('Priority').inputValue(), '9');
  await page.getByRole('button', { name: 'Cancel' }).click();

  // The connection list: user 7's stream, with its channels; disconnect the user.
  const row = page.locator('[data-testid=connections] tr[data-user="7"]');
  await row.waitFor({ timeout: 5000 });
  assert.match(await row.innerText(), /alerts, notifications, toasts, system/);
  // This page's own alerts stream is the anonymous one, listed too.
  await page.getByTestId('conn-summary').filter({ hasText: /^2 streams\.$/ }).waitFor({ timeout: 5000 });
  assert.equal(await page.locator('[data-testid=connections] tr[data-anonymous]').count(), 1);
  await screenshot(page, 'admin');
  const before = (await daemon.api('GET', '/api/users/7')).body.connections.map((c) => c.connectionId);
  await row.getByRole('button', { name: 'Disconnect every stream of user 7' }).click();
  await page.getByTestId('notice').filter({ hasText: 'Disconnected user 7: 1 stream.' }).waitFor({ timeout: 3000 });
  await until(async () => {
    const now = (await daemon.api('GET', '/api/users/7')).body.connections.map((c) => c.connectionId);
    return !now.some((id) => before.includes(id));
  }, { what: "user 7's stream closed" });

  // An anonymous stream is listed and disconnected by its id.
  const anon = await openStream(daemon.base);
  const anonRow = page.locator(`[data-testid=connections] tr[data-connection="${anon.id}"]`);
  await anonRow.waitFor({ timeout: 5000 });
  assert.match(await anonRow.innerText(), /anonymous/);
  assert.equal(await anonRow.getByRole('button', { name: 'Disconnect every stream', exact: false }).count(), 0);
  await anonRow.getByRole('button', { name: `Disconnect anonymous stream ${anon.id}` }).click();
  await page.getByTestId('notice').filter({ hasText: `Disconnected ${anon.id}: 1 stream.` }).waitFor({ timeout: 3000 });
  await anon.ended;
  await anonRow.waitFor({ state: 'detached', timeout: 5000 });

  // More streams than a page (50): the list pages by the daemon's cursor.
  const many = [];
  for (let i = 0; i < 55; ++i) many.push(await openStream(daemon.base));
  try {
    await page.getByTestId('conn-summary').filter({ hasText: /streams · page 1: 50 shown\.$/ }).waitFor({ timeout: 5000 });
    const first = await page.locator('[data-testid=connections] tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.connection));
    assert.equal(first.length, 50);
    assert.equal(await page.getByRole('button', { name: 'Previous page' }).isDisabled(), true);
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByTestId('conn-summary').filter({ hasText: /· page 2: \d+ shown\.$/ }).waitFor({ timeout: 5000 });
    const second = await page.locator('[data-testid=connections] tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.connection));
    const total = Number((await page.getByTestId('conn-summary').innerText()).match(/^(\d+) streams/)[1]);
    assert.equal(first.length + second.length, total);
    assert.deepEqual(first.filter((id) => second.includes(id)), [], 'a stream on both pages');
    for (const s of many) assert.ok(first.includes(s.id) || second.includes(s.id), `${s.id} on no page`);
    assert.equal(await page.getByRole('button', { name: 'Next page' }).isDisabled(), true);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await page.getByTestId('conn-summary').filter({ hasText: 'page 1: 50 shown' }).waitFor({ timeout: 5000 });
  } finally {
    for (const s of many) s.close();
  }
  await page.getByTestId('conn-summary').filter({ hasText: /^\d+ streams\.$/ }).waitFor({ timeout: 10000 });

  // Delete, in two steps: the banner leaves the demo tab (anonymous now: its cookie is gone).
  await page.getByRole('button', { name: `Delete alert 1: ${title} (edited)` }).click();
  await page.getByRole('button', { name: 'Confirm deleting alert 1' }).click();
  await page.getByTestId('notice').filter({ hasText: 'Deleted alert #1.' }).waitFor({ timeout: 3000 });
  await demo.page.locator('.rc-banner', { hasText: title }).waitFor({ state: 'detached', timeout: 5000 });
  await page.locator('[data-testid=alerts] tr', { hasText: title }).waitFor({ state: 'detached', timeout: 2000 });

  assert.deepEqual(problems.filter((p) => !expected(p)), []);
  assert.deepEqual(demo.problems, []);
});

test("signed in with an admin's token, the page says live who changed which alert", async () => {
  const { hs256Config, mintHs256 } = await import('./helpers/jwt.mjs');
  const authed = await startDaemon({ config: hs256Config() });
  try {
    const alice = mintHs256({ sub: 'alice', roles: ['admin'], admin: true });
    const bob = mintHs256({ sub: 'bob', roles: ['admin'], admin: true });
    const { page, problems } = await openPage(browser.context, `${authed.base}/admin/`);
    await page.getByLabel('API key or admin token').fill(alice);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Admin actions:').waitFor({ timeout: 5000 });
    await page.locator('.status-line .rc-indicator--connected').nth(1).waitFor({ timeout: 5000 });

    const res = await fetch(`${authed.base}/api/alerts`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${bob}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: 'For the editors', target: 'role-based', targetRoles: ['editor'] }),
    });
    assert.equal(res.status, 201, await res.text());
    // Targeted at others: only the admin-actions stream tells this page, at once.
    await page.getByTestId('notice').filter({ hasText: 'Alert #1 created by bob.' }).waitFor({ timeout: 2000 });
    await page.locator('[data-testid=alerts] tr', { hasText: 'For the editors' }).waitFor({ timeout: 2000 });
    assert.deepEqual(problems, []);
  } finally {
    await authed.stop();
  }
});
