// The HTTP transport against the real daemon: the same calls as over the
// socket, delivered to real SSE subscribers, with the same results and the
// same error codes; an API key on every request; a daemon restart waited out;
// the default instance selected by RINGCAST_URL.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { Ringcast, RingcastError } from '../dist/esm/index.js';
import { startDaemon } from './helpers/daemon.mjs';
import { apiKeyConfig, deadPort, TEST_API_KEY } from './helpers/http.mjs';
import { seqOf } from './helpers/ids.mjs';
import { Subscriber } from './helpers/sse.mjs';
import { nextEvent, within } from './helpers/wait.mjs';

describe('HTTP transport against the daemon', { timeout: 60_000 }, () => {
  let daemon;
  let http;
  let socket;
  before(async () => {
    daemon = await startDaemon({ config: apiKeyConfig() });
    http = new Ringcast({ url: `http://127.0.0.1:${daemon.port}`, apiKey: TEST_API_KEY, timeout: 5000 });
    socket = new Ringcast({ socketPath: daemon.socketPath, timeout: 5000 });
  });
  after(async () => {
    await http?.close();
    await socket?.close();
    await daemon?.stop();
  });

  it('publishes to subscribers and resolves with {id, sent, failed}', async () => {
    assert.equal(http.client.kind, 'http');
    const sub = await Subscriber.open(daemon.port, ['orders']);
    const result = await http.broadcastToChannel('orders', 'created', { orderId: 'A-1' });
    assert.deepEqual({ ...result, id: undefined }, { id: undefined, sent: 1, failed: 0 });
    const e = await sub.nextNamed('created');
    assert.deepEqual(e.json(), { orderId: 'A-1' });
    assert.equal(e.id, result.id);
    assert.equal(http.client.state, 'connected');
    sub.close();
  });

  it('many calls at once all resolve, each published exactly once', async () => {
    const sub = await Subscriber.open(daemon.port, ['many']);
    const N = 300;
    const results = await within(
      Promise.all(Array.from({ length: N }, (_, i) => http.broadcastToChannel('many', 'n', i))),
      30_000,
      `${N} publishes over HTTP`,
    );
    assert.ok(results.every((r) => r.sent === 1 && r.failed === 0));
    assert.equal(new Set(results.map((r) => r.id)).size, N);
    const seen = [];
    for (let i = 0; i < N; i++) seen.push(Number((await sub.nextNamed('n')).data));
    assert.deepEqual(seen.sort((x, y) => x - y), Array.from({ length: N }, (_, i) => i));
    sub.close();
  });

  it('the seed operations give the same answers as over the socket', async () => {
    // live-updates is for the permission dashboard.view ([[channel]] rules).
    const { token } = await http.createStreamToken('ops', { permissions: ['dashboard.view'] });
    const sub = await Subscriber.open(daemon.port, ['live-updates', 'notifications', 'system'], { token });
    const viaHttp = await http.triggerRefresh('dashboard', { reason: 'test' });
    const viaSocket = await socket.triggerRefresh('dashboard', { reason: 'test' });
    assert.equal(seqOf(viaSocket.id), seqOf(viaHttp.id) + 1); // one numbering, whichever way it came
    for (const r of [viaHttp, viaSocket]) assert.equal(r.sent, 1);
    const a = (await sub.nextNamed('refresh')).json();
    const b = (await sub.nextNamed('refresh')).json();
    assert.deepEqual({ ...a, timestamp: 0 }, { ...b, timestamp: 0 });
    assert.deepEqual({ ...(await http.sendToUser('nobody', 'x', 1)), id: 0 }, { id: 0, sent: 0, failed: 0 });
    assert.equal((await http.broadcasts.info('hello', 'Title')).sent, 1);
    assert.equal((await sub.nextNamed('notification')).json().message, 'hello');
    sub.close();
  });

  it('invalidateCache and the stats, as over the socket', async () => {
    await http.broadcastToChannel('cached', 'e', 1, { persistent: true });
    await http.broadcastToChannel('cached', 'e', 2, { persistent: true });
    assert.deepEqual(await http.invalidateCache(['cached']), { removed: 2 });
    await assert.rejects(http.invalidateCache(null, null), { source: 'daemon', status: 400 }); // its code: api-parity.test.mjs
    const sub = await Subscriber.open(daemon.port, ['s1']);
    const [viaHttp, viaSocket] = [await http.getStats(), await socket.getStats()];
    assert.equal(viaHttp.totalConnections, viaSocket.totalConnections);
    assert.deepEqual(Object.keys(viaHttp).sort(), Object.keys(viaSocket).sort());
    assert.equal(await http.getClientCount(), viaSocket.totalConnections);
    assert.deepEqual((await http.getSystemStats()).channels.find((c) => c.channel === 's1'), { channel: 's1', activeConnections: 1 });
    sub.close();
  });

  it('fire-and-forget publishes; a refusal comes as publishError', async () => {
    const sub = await Subscriber.open(daemon.port, ['faf']);
    http.publishNoReply({ channel: 'faf', event: 'e', data: 'quiet' });
    assert.equal((await sub.nextNamed('e')).data, '"quiet"');
    const reported = nextEvent(http.client, 'publishError');
    http.publishNoReply({ channel: 'faf', event: 'e', data: 1, priority: 99 });
    const [e] = await reported;
    assert.ok(e instanceof RingcastError);
    assert.equal(e.status, 400);
    sub.close();
  });

  it('without an API key, or with a wrong one: 401 as RingcastError, saying what to set', async () => {
    const noKey = new Ringcast({ url: `http://127.0.0.1:${daemon.port}`, timeout: 5000 });
    await assert.rejects(noKey.broadcastToChannel('a', 'b', 1), (e) => {
      assert.equal(e.code, 'unauthorized');
      assert.equal(e.status, 401);
      assert.equal(e.reason, 'missing_credentials');
      assert.equal(e.source, 'daemon');
      assert.match(e.message, /RINGCAST_API_KEY/);
      return true;
    });
    await noKey.close();
    const wrong = new Ringcast({ url: `http://127.0.0.1:${daemon.port}`, apiKey: 'not-the-key', timeout: 5000 });
    await assert.rejects(wrong.getStats(), { code: 'invalid_api_key', status: 401, message: /publish\.api_keys/ });
    await wrong.close();
  });

  it('a body over the limit is refused here with `line_too_long`, as over the socket', async () => {
    const big = 'x'.repeat(1024 * 1024);
    for (const rc of [http, socket])
      await assert.rejects(rc.broadcastToChannel('big', 'e', big), { code: 'line_too_long', source: 'client' });
    assert.equal((await http.broadcastToChannel('big', 'e', 'small')).failed, 0);
  });
});

describe('HTTP errors are the socket errors', { timeout: 60_000 }, () => {
  let daemon;
  before(async () => {
    daemon = await startDaemon({ config: apiKeyConfig('rate_limit = { max = 1, window = "10s" }\n') });
  });
  after(() => daemon?.stop());

  it('over publish.rate_limit: `rate_limited` with retryAfterMs on both transports', async () => {
    const http = new Ringcast({ url: `http://127.0.0.1:${daemon.port}`, apiKey: TEST_API_KEY, timeout: 5000 });
    const socket = new Ringcast({ socketPath: daemon.socketPath, timeout: 5000 });
    try {
      for (const rc of [http, socket]) {
        await rc.broadcastToChannel('a', 'b', 1);
        await assert.rejects(rc.broadcastToChannel('a', 'b', 2), (e) => {
          assert.ok(e instanceof RingcastError);
          assert.equal(e.code, 'rate_limited');
          assert.equal(e.source, 'daemon');
          assert.ok(e.retryAfterMs > 0 && e.retryAfterMs <= 10_000, `retryAfterMs ${e.retryAfterMs}`);
          return true;
        });
      }
      const e = await http.broadcastToChannel('a', 'b', 3).catch((x) => x);
      assert.deepEqual([e.status, e.reason], [429, 'publisher_rate']);
    } finally {
      await http.close();
      await socket.close();
    }
  });
});

describe('HTTP connections', { timeout: 60_000 }, () => {
  it('a daemon that is not there fails at once with `unreachable`, naming the URL and RINGCAST_URL', async () => {
    const port = await deadPort();
    const rc = new Ringcast({ url: `http://127.0.0.1:${port}`, apiKey: 'k', timeout: 10_000 });
    const started = Date.now();
    await assert.rejects(rc.getStats(), (e) => {
      assert.equal(e.code, 'unreachable');
      assert.equal(e.source, 'client');
      assert.match(e.message, new RegExp(`http://127\\.0\\.0\\.1:${port}.*ECONNREFUSED`));
      assert.match(e.message, /RINGCAST_URL/);
      return true;
    });
    assert.ok(Date.now() - started < 2000);
    assert.equal(rc.client.state, 'idle'); // the next call tries again
    await rc.close();
  });

  it('a daemon restart is waited out: calls made meanwhile are sent to the new daemon', async () => {
    const port = await deadPort();
    const config = apiKeyConfig();
    let daemon = await startDaemon({ config, http: `127.0.0.1:${port}` });
    const rc = new Ringcast({
      url: `http://127.0.0.1:${port}`,
      apiKey: TEST_API_KEY,
      timeout: 20_000,
      reconnectDelay: 20,
      maxReconnectDelay: 200,
    });
    try {
      await rc.broadcastToChannel('r', 'before', 1);
      // The keep-alive connection is seen closing first: a request written
      // into it at that very moment would fail `disconnected` (at most once).
      const lost = nextEvent(rc.client, 'disconnect', 20_000);
      await daemon.stop();
      await lost;
      const reconnecting = nextEvent(rc.client, 'reconnecting', 10_000);
      const during = Promise.all([0, 1, 2].map((n) => rc.broadcastToChannel('r', 'during', { n })));
      await reconnecting;
      daemon = await startDaemon({ config, http: `127.0.0.1:${port}` });
      const results = await within(during, 20_000, 'the calls made while the daemon was away');
      assert.ok(results.every((r) => r.failed === 0));
      assert.equal(rc.client.state, 'connected');
    } finally {
      await rc.close();
      await daemon.stop();
    }
  });

  it('RINGCAST_URL and RINGCAST_API_KEY make the default instance speak HTTP; a script exits without close()', async () => {
    const daemon = await startDaemon({ config: apiKeyConfig() });
    try {
      const sub = await Subscriber.open(daemon.port, ['env']);
      const index = fileURLToPath(new URL('../dist/esm/index.js', import.meta.url));
      const script = `
        import { broadcastToChannel, sseManager, getClientCount } from ${JSON.stringify(index)};
        const r = await broadcastToChannel('env', 'hello', 'from env');
        console.log(JSON.stringify({ r, count: await getClientCount(), kind: sseManager.client.kind }));
      `;
      const env = { ...process.env, RINGCAST_URL: `http://127.0.0.1:${daemon.port}/`, RINGCAST_API_KEY: TEST_API_KEY };
      delete env.RINGCAST_SOCKET;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      const code = await within(new Promise((r) => child.on('exit', r)), 10_000, 'the script to exit by itself');
      assert.equal(code, 0, err);
      const result = JSON.parse(out);
      assert.equal(result.kind, 'http');
      assert.equal(result.r.sent, 1);
      assert.equal(result.count, 1);
      assert.equal((await sub.nextNamed('hello')).json(), 'from env');
      sub.close();
    } finally {
      await daemon.stop();
    }
  });
});
