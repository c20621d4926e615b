// The browser client in Chromium over HTTPS, with a test CA that Chromium
// trusts as a user-added CA (helpers/tls.mjs): the probe page loaded over
// https://, its stream over TLS to ringcastd's [tls] listener, every event in
// order; and a certificate the CA did not sign is refused by the browser, so
// the check the first test passes is a real one.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { launchBrowser, openPage } from './helpers/browser.mjs';
import { startDaemon } from './helpers/daemon.mjs';
import { buildTestPages, removeTestPages, webRootConfig } from './helpers/pages.mjs';
import { httpsBase, makeTestCa, tlsConfig } from './helpers/tls.mjs';

let root;
let ca;
let browser;

before(async () => {
  root = buildTestPages();
  ca = makeTestCa();
  browser = await launchBrowser({ home: ca.home });
});

after(async () => {
  await browser?.close();
  ca?.remove();
  if (root) removeTestPages(root);
});

const received = (page) =>
  page.evaluate(() => window.probe.received.filter((m) => m.type === 'notification').map((m) => m.data.n));

test('over HTTPS with a test CA the page streams every event, in order, over TLS', async () => {
  const daemon = await startDaemon({ config: webRootConfig(root, tlsConfig(ca)) });
  try {
    const { page, problems } = await openPage(browser.context, `${httpsBase(daemon)}/probe/?channels=notifications`);
    assert.equal(await page.evaluate(() => location.protocol), 'https:');
    await page.waitForFunction(() => window.probe?.client.connectionState.status === 'connected', null, { timeout: 5000 });
    const want = [];
    for (let n = 1; n <= 20; n++) {
      const a = await daemon.api('POST', '/api/publish', { channel: 'notifications', event: 'notification', data: { n } });
      assert.ok(a.status < 300, JSON.stringify(a));
      want.push(n);
    }
    await page.waitForFunction(() => window.probe.received.filter((m) => m.type === 'notification').length >= 20, null, {
      timeout: 5000,
    });
    assert.deepEqual(await received(page), want);
    // The page and its stream came over the TLS listener.
    const stats = (await daemon.api('GET', '/api/stats')).body;
    assert.ok(stats.tls.handshakes >= 1, JSON.stringify(stats.tls));
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await daemon.stop();
  }
});

test('a certificate the test CA did not sign is refused by the browser', async () => {
  // Self-signed: not in the browser's NSS database.
  const key = join(ca.dir, 'stranger.key');
  const cert = join(ca.dir, 'stranger.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  const daemon = await startDaemon({ config: webRootConfig(root, tlsConfig({ cert, key })) });
  try {
    const page = await browser.context.newPage();
    await assert.rejects(page.goto(`${httpsBase(daemon)}/probe/`), /ERR_CERT_AUTHORITY_INVALID/);
    await page.close();
  } finally {
    await daemon.stop();
  }
});

test('twelve tabs of one origin all stream at once over one HTTP/2 connection', async () => {
  const daemon = await startDaemon({ config: webRootConfig(root, tlsConfig(ca)) });
  try {
    // Each tab its own EventSource (no tab sharing): over HTTP/1.1 Chromium
    // holds 6 connections per origin and the seventh tab would wait.
    const url = `${httpsBase(daemon)}/probe/?channels=notifications&shared=false`;
    const tabs = [];
    for (let i = 0; i < 12; i++) tabs.push((await openPage(browser.context, url)).page);
    for (const t of tabs)
      await t.waitForFunction(() => window.probe?.client.connectionState.status === 'connected', null, { timeout: 5000 });
    for (let n = 1; n <= 5; n++) {
      const a = await daemon.api('POST', '/api/publish', { channel: 'notifications', event: 'notification', data: { n } });
      assert.ok(a.status < 300, JSON.stringify(a));
    }
    for (const t of tabs) {
      await t.waitForFunction(() => window.probe.received.filter((m) => m.type === 'notification').length >= 5, null, {
        timeout: 5000,
      });
      assert.deepEqual(await received(t), [1, 2, 3, 4, 5]);
    }
    const stats = (await daemon.api('GET', '/api/stats')).body;
    assert.equal(stats.http2.connections, 1, JSON.stringify(stats.http2));
    assert.ok(stats.http2.streams >= 12, JSON.stringify(stats.http2));
    for (const t of tabs) await t.close();
  } finally {
    await daemon.stop();
  }
});
