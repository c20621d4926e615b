// The browser client in Chromium against the real daemon, through the probe
// page (tests/browser/pages/probe) served with [web] root: a restart by
// kill -9 on the same port and data dir, 401 and a token refresh, the fetch
// transport with Authorization: Bearer, a stopped
// daemon found by the heartbeat timeout, one stream for eight tabs with the
// leader replaced when its tab closes, without losing an event, and a hung
// leader replaced when the browser kills its page.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, openPage } from './helpers/browser.mjs';
import { startDaemon } from './helpers/daemon.mjs';
import { buildTestPages, removeTestPages, webRootConfig } from './helpers/pages.mjs';
import { until } from './helpers/wait.mjs';

let root;
let browser;

before(async () => {
  root = buildTestPages();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (root) removeTestPages(root);
});

const status = (page) => page.evaluate(() => window.probe.client.connectionState);
const waitStatus = (page, want, ms = 5000) =>
  page.waitForFunction((s) => window.probe?.client.connectionState.status === s, want, { timeout: ms });
const received = (page) => page.evaluate(() => window.probe.received.filter((m) => m.type === 'notification').map((m) => m.data.n));

async function publish(daemon, n) {
  const a = await daemon.api('POST', '/api/publish', { channel: 'notifications', event: 'notification', data: { n } });
  assert.ok(a.status < 300, JSON.stringify(a));
}

test('kill -9 and a restart on the same port and data dir: the page resumes with nothing missing', async () => {
  let daemon = await startDaemon({ config: webRootConfig(root) });
  const { port, dataDir, apiKey } = daemon;
  try {
    const { page, problems } = await openPage(browser.context, `${daemon.base}/probe/?channels=notifications&shared=false`);
    await waitStatus(page, 'connected');
    for (let n = 1; n <= 5; n++) await publish(daemon, n);
    await page.waitForFunction(() => window.probe.received.filter((m) => m.type === 'notification').length === 5);

    daemon.kill('SIGKILL');
    await daemon.exited;
    await waitStatus(page, 'reconnecting');
    daemon = await startDaemon({ config: webRootConfig(root), http: `127.0.0.1:${port}`, dataDir, apiKey });
    // Published at once, most likely before the page is back: it gets them by resuming.
    for (let n = 6; n <= 10; n++) await publish(daemon, n);
    await waitStatus(page, 'connected', 10_000);
    for (let n = 11; n <= 12; n++) await publish(daemon, n);
    await page.waitForFunction(() => window.probe.received.filter((m) => m.type === 'notification').length >= 12, null, {
      timeout: 5000,
    });
    assert.deepEqual(await received(page), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    // It resumed across the restart: a kill -9 makes the daemon's numbering jump, which it says.
    const refreshes = await page.evaluate(() => window.probe.received.filter((m) => m.type === 'refresh').map((m) => m.data));
    assert.deepEqual(refreshes, [{ reason: 'history-gap' }]);
    assert.deepEqual(problems.filter((p) => !/ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE/.test(p)), []);
    await page.close();
  } finally {
    await daemon.stop();
    const { rmSync } = await import('node:fs');
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('401 is unauthorized; refreshToken turns it into one retry with a new token', async () => {
  const daemon = await startDaemon({ config: webRootConfig(root) });
  try {
    const bad = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.bm90LWEtc2lnbmF0dXJl';
    const plain = await openPage(browser.context, `${daemon.base}/probe/?shared=false&token=${bad}`);
    await waitStatus(plain.page, 'unauthorized');
    assert.match((await status(plain.page)).lastError, /^401/);
    await plain.page.close();

    const { page } = await openPage(browser.context, 'about:blank');
    await page.exposeFunction('renewToken', async () => {
      const a = await daemon.api('POST', '/api/tokens', { userId: '42', ttl: 600 });
      assert.equal(a.status, 200, JSON.stringify(a));
      return a.body.token;
    });
    await page.goto(`${daemon.base}/probe/?shared=false&token=${bad}&refresh=1`);
    await waitStatus(page, 'connected');
    assert.equal(await page.evaluate(() => window.probe.client.userId), '42');
    assert.notEqual(await page.evaluate(() => window.probe.probeToken ?? window.probeToken), bad);
    await page.close();
  } finally {
    await daemon.stop();
  }
});

test('the fetch transport authenticates with Authorization: Bearer, never the url, and streams', async () => {
  const daemon = await startDaemon({ config: webRootConfig(root) });
  try {
    const t = await daemon.api('POST', '/api/tokens', { userId: '42', ttl: 600 });
    assert.equal(t.status, 200, JSON.stringify(t));
    const requests = [];
    const record = (r) => r.url().includes('/api/sse/stream') && requests.push({ url: r.url(), auth: r.headers().authorization });
    browser.context.on('request', record);
    const { page, problems } = await openPage(
      browser.context,
      `${daemon.base}/probe/?channels=notifications&shared=false&transport=fetch&token=${t.body.token}`,
    );
    await waitStatus(page, 'connected');
    assert.equal(await page.evaluate(() => window.probe.client.userId), '42');
    for (let n = 1; n <= 3; n++) await publish(daemon, n);
    await page.waitForFunction(() => window.probe.received.filter((m) => m.type === 'notification').length === 3);
    assert.deepEqual(await received(page), [1, 2, 3]);
    browser.context.off('request', record);
    assert.ok(requests.length >= 1, 'the stream was requested');
    for (const r of requests) {
      assert.ok(!r.url.includes('token='), `a token in the url: ${r.url}`);
      assert.equal(r.auth, `Bearer ${t.body.token}`);
    }
    // The daemon sees the user on its stream (it read the header).
    const list = await daemon.api('GET', '/api/connections');
    assert.equal(list.status, 200, JSON.stringify(list));
    assert.ok(JSON.stringify(list.body).includes('"42"'), JSON.stringify(list.body));
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await daemon.stop();
  }
});

test('a stopped daemon (SIGSTOP) is found by the heartbeat timeout, and SIGCONT brings the stream back', async () => {
  const daemon = await startDaemon({ config: webRootConfig(root, '[sse]\nheartbeat_interval = "300ms"\n') });
  try {
    const { page } = await openPage(browser.context, `${daemon.base}/probe/?shared=false&heartbeat=1500`);
    await waitStatus(page, 'connected');
    // Heartbeats keep a live stream connected well past the timeout.
    await page.waitForTimeout(2000);
    assert.equal((await status(page)).status, 'connected');

    daemon.kill('SIGSTOP');
    const stopped = Date.now();
    await waitStatus(page, 'reconnecting', 4000);
    const found = Date.now() - stopped;
    assert.ok(found >= 1000 && found < 3500, `found after ${found} ms`);
    assert.match((await status(page)).lastError, /no data for 1500 ms/);

    daemon.kill('SIGCONT');
    await waitStatus(page, 'connected', 10_000);
    await publish(daemon, 1);
    await page.waitForFunction(() => window.probe.received.some((m) => m.type === 'notification'));
    await page.close();
  } finally {
    await daemon.stop();
  }
});

test('eight tabs share one stream; when the leader closes another leads within 2 s and nothing is lost', async () => {
  const daemon = await startDaemon({ config: webRootConfig(root) });
  try {
    const tabs = [];
    for (let i = 0; i < 8; i++) tabs.push((await openPage(browser.context, `${daemon.base}/probe/?channels=notifications`)).page);
    for (const t of tabs) await waitStatus(t, 'connected');
    const streams = async () => (await daemon.api('GET', '/api/stats')).body.totalConnections;
    await until(async () => (await streams()) === 1, { what: 'one stream in the stats' });
    const roles = await Promise.all(tabs.map((t) => t.evaluate(() => window.probe.client.connectionState.role)));
    assert.equal(roles.filter((r) => r === 'leader').length, 1, roles.join(','));
    assert.equal(roles.filter((r) => r === 'follower').length, 7, roles.join(','));

    for (let n = 1; n <= 5; n++) await publish(daemon, n);
    for (const t of tabs) await t.waitForFunction(() => window.probe.received.filter((m) => m.type === 'notification').length === 5);

    const leader = tabs[roles.indexOf('leader')];
    const rest = tabs.filter((t) => t !== leader);
    await leader.close();
    const closed = Date.now();
    // Published while the lead changes hands: the new leader resumes from the last id it mirrored.
    for (let n = 6; n <= 10; n++) await publish(daemon, n);
    await until(
      async () => {
        const s = await Promise.all(rest.map((t) => t.evaluate(() => window.probe.client.connectionState)));
        return s.filter((x) => x.role === 'leader' && x.status === 'connected').length === 1;
      },
      { ms: 2000, every: 20, what: 'a new connected leader' },
    );
    assert.ok(Date.now() - closed <= 2000);
    for (let n = 11; n <= 12; n++) await publish(daemon, n);
    for (const t of rest) {
      await t.waitForFunction(() => window.probe.received.filter((m) => m.type === 'notification').length >= 12);
      assert.deepEqual(await received(t), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    }
    await until(async () => (await streams()) === 1, { what: 'one stream after the takeover' });
    for (const t of rest) await t.close();
  } finally {
    await daemon.stop();
  }
});

// A leader whose page hangs keeps its Web Lock (docs/browser.md, "A leader tab
// that hangs"): the other tabs wait, fed nothing, until the browser ends the
// page. When it is killed ("Page unresponsive" > Exit page, or a renderer
// crash: CDP's Page.crash here), the lock goes with it and another tab leads
// within 2 s, resuming from the last id it mirrored: nothing is lost.
test('a hung leader killed by the browser: another tab leads within 2 s and nothing is lost', async () => {
  const daemon = await startDaemon({ config: webRootConfig(root) });
  try {
    const tabs = [];
    for (let i = 0; i < 3; i++) tabs.push((await openPage(browser.context, `${daemon.base}/probe/?channels=notifications`)).page);
    for (const t of tabs) await waitStatus(t, 'connected');
    const roles = await Promise.all(tabs.map((t) => t.evaluate(() => window.probe.client.connectionState.role)));
    const leader = tabs[roles.indexOf('leader')];
    const rest = tabs.filter((t) => t !== leader);
    for (let n = 1; n <= 3; n++) await publish(daemon, n);
    for (const t of rest) await t.waitForFunction(() => window.probe.received.filter((m) => m.type === 'notification').length === 3);

    // The leader's page hangs (its main thread never returns) while it holds the lock.
    const cdp = await browser.context.newCDPSession(leader);
    const hanging = leader.waitForEvent('console', (m) => m.text() === 'hanging');
    leader
      .evaluate(() => {
        console.log('hanging');
        for (;;);
      })
      .catch(() => {});
    await hanging;
    for (let n = 4; n <= 5; n++) await publish(daemon, n);
    // Nothing reaches the other tabs meanwhile, and none of them takes over.
    for (const t of rest) {
      assert.deepEqual(await received(t), [1, 2, 3]);
      assert.equal(await t.evaluate(() => window.probe.client.connectionState.role), 'follower');
    }
    const killed = Date.now();
    const crashed = new Promise((resolve) => leader.once('crash', resolve));
    cdp.send('Page.crash').catch(() => {}); // the renderer dies: no answer comes
    await crashed;
    for (let n = 6; n <= 7; n++) await publish(daemon, n);
    await until(
      async () => {
        const s = await Promise.all(rest.map((t) => t.evaluate(() => window.probe.client.connectionState)));
        return s.filter((x) => x.role === 'leader' && x.status === 'connected').length === 1;
      },
      { ms: 2000, every: 20, what: 'a new connected leader after the kill' },
    );
    assert.ok(Date.now() - killed <= 2000);
    for (const t of rest) {
      await t.waitForFunction(() => window.probe.received.filter((m) => m.type === 'notification').length >= 7);
      assert.deepEqual(await received(t), [1, 2, 3, 4, 5, 6, 7]);
    }
    for (const t of rest) await t.close();
    await leader.close().catch(() => {});
  } finally {
    await daemon.stop();
  }
});
