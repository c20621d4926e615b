// The HTTP transport's contract, against a scripted server playing what a
// healthy daemon does not do on cue: keep-alive and pipelining, deadlines, the
// bounded queue, a connection dropped after a POST was read (never re-sent), a
// shutting-down daemon's 503 (sent again), answers that are not ringcastd's.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { Ringcast, RingcastError } from '../dist/esm/index.js';
import { answer, fakeHttp } from './helpers/http.mjs';
import { nextEvent, within } from './helpers/wait.mjs';

const published = (id) => ({ id: String(id), sent: 1, failed: 0 });

describe('HTTP transport contract', { timeout: 60_000 }, () => {
  const cleanup = [];
  after(async () => {
    for (const f of cleanup.reverse()) await f();
  });
  const server = async (onRequest) => {
    const s = await fakeHttp(onRequest);
    cleanup.push(() => s.close());
    return s;
  };
  const client = (s, options = {}) => {
    const rc = new Ringcast({ url: s.url, apiKey: 'the-key', timeout: 5000, ...options });
    cleanup.push(() => rc.close());
    return rc;
  };

  it('sends the API key and JSON, and keeps one connection alive across calls', async () => {
    const s = await server((r, res) => answer(res, 200, published(r.json.data)));
    const rc = client(s, { connections: 4 });
    for (let i = 0; i < 20; i++) assert.deepEqual(await rc.broadcastToChannel('c', 'e', i), published(i));
    assert.equal(s.connections, 1);
    const first = s.requests[0];
    assert.equal(first.method, 'POST');
    assert.equal(first.url, '/api/publish');
    assert.equal(first.headers['x-api-key'], 'the-key');
    assert.equal(first.headers['content-type'], 'application/json');
    assert.deepEqual(first.json, { channel: 'c', event: 'e', data: 0, target: 'all' });
  });

  it('a base path in the url prefixes every route; ids are %-encoded into one segment', async () => {
    const s = await server((r, res) => answer(res, 200, { userId: 'a/b c', connected: false, connections: [] }));
    const rc = client(s, { url: `${s.url}/ringcast/` });
    await rc.getUserInfo('a/b c');
    assert.equal(s.requests[0].url, '/ringcast/api/users/a%2Fb%20c');
    assert.equal(s.requests[0].method, 'GET');
  });

  it('queries are pipelined on one connection', async () => {
    const held = [];
    const s = await server((r, res) => {
      held.push(res);
      // Answer only once all five are read: they were in flight together.
      if (held.length === 5) for (const h of held) answer(h, 200, { totalConnections: 3 });
    });
    const rc = client(s, { connections: 1, pipelining: 10 });
    const counts = await within(Promise.all(Array.from({ length: 5 }, () => rc.getClientCount())), 5000, 'five pipelined queries');
    assert.deepEqual(counts, [3, 3, 3, 3, 3]);
    assert.equal(s.connections, 1);
  });

  it('a connection lost after a POST was read: `disconnected`, and it is never sent again', async () => {
    let dropped = false;
    const s = await server((r, res, req) => {
      if (!dropped && r.json?.data === 0) {
        dropped = true;
        req.socket.destroy(); // read, maybe acted on, never answered
        return;
      }
      answer(res, 200, published(r.json.data));
    });
    const rc = client(s, { connections: 1, pipelining: 10 });
    const calls = [0, 1, 2].map((n) => rc.broadcastToChannel('c', 'e', n));
    await assert.rejects(calls[0], (e) => {
      assert.equal(e.code, 'disconnected');
      assert.equal(e.source, 'client');
      assert.match(e.message, /may or may not have been published; not re-sent/);
      return true;
    });
    assert.deepEqual(await Promise.all(calls.slice(1)), [published(1), published(2)]);
    // Each POST reached the server exactly once.
    assert.deepEqual(s.requests.map((r) => r.json.data).sort(), [0, 1, 2]);
    assert.equal((await rc.broadcastToChannel('c', 'e', 3)).id, '3');
  });

  it('no answer by the deadline: `timeout`; the next call gets through', async () => {
    const s = await server((r, res) => {
      if (r.json?.data !== 'held') answer(res, 200, published(r.json.data));
    });
    const rc = client(s);
    const started = Date.now();
    await assert.rejects(rc.client.request('publish', { channel: 'c', event: 'e', data: 'held' }, { timeout: 200 }), (e) => {
      assert.equal(e.code, 'timeout');
      assert.match(e.message, /no reply to "publish" .* within 200 ms \(it may still have been published\)/);
      return true;
    });
    assert.ok(Date.now() - started >= 190);
    assert.deepEqual(await rc.broadcastToChannel('c', 'e', 'next'), published('next'));
  });

  it('at most maxQueue requests wait to be sent; the next is refused with `queue_full`', async () => {
    const held = [];
    const s = await server((r, res) => held.push(() => answer(res, 200, published(r.json.data))));
    const rc = client(s, { connections: 1, maxQueue: 2 });
    const first = rc.broadcastToChannel('c', 'e', 1); // written; the others wait behind it
    await within((async () => { while (held.length === 0) await new Promise((r) => setTimeout(r, 5)); })(), 5000, 'the first POST');
    const waiting = [rc.broadcastToChannel('c', 'e', 2), rc.broadcastToChannel('c', 'e', 3)];
    await assert.rejects(rc.broadcastToChannel('c', 'e', 4), (e) => {
      assert.equal(e.code, 'queue_full');
      assert.match(e.message, /2 requests .* are already waiting to be sent \(maxQueue\)/);
      return true;
    });
    assert.throws(() => rc.publishNoReply({ channel: 'c', event: 'e', data: 5 }), { code: 'queue_full' });
    held.shift()();
    assert.equal((await first).id, '1');
    // The next two go one at a time (a POST is never pipelined).
    for (let i = 0; i < 2; i++) {
      await within((async () => { while (held.length === 0) await new Promise((r) => setTimeout(r, 5)); })(), 5000, 'the next POST');
      held.shift()();
    }
    assert.deepEqual((await Promise.all(waiting)).map((r) => r.id), ['2', '3']);
  });

  it('a shutting-down daemon (503 unavailable) did not act: the request is sent again', async () => {
    let refused = 0;
    const s = await server((r, res) => {
      if (refused++ === 0) answer(res, 503, { error: { code: 'unavailable', message: 'the server is shutting down' } }, { connection: 'close' });
      else answer(res, 200, published(r.json.data));
    });
    const rc = client(s, { reconnectDelay: 10 });
    const retry = nextEvent(rc.client, 'reconnecting');
    assert.deepEqual(await rc.broadcastToChannel('c', 'e', 'again'), published('again'));
    const [info] = await retry;
    assert.equal(info.error.code, 'unavailable');
    assert.equal(s.requests.length, 2);
  });

  it('statuses and bodies map to RingcastError: 429 with Retry-After, 404 of an older daemon, a proxy page', async () => {
    const s = await server((r, res) => {
      if (r.url === '/api/stats')
        answer(res, 429, { error: { code: 'rate_limited', reason: 'publisher_rate', message: 'slow down' } }, { 'retry-after': '3' });
      else if (r.url === '/api/ping') answer(res, 404, { error: { code: 'not_found', message: 'no endpoint at /api/ping' } });
      else if (r.url.startsWith('/api/connections/')) answer(res, 404, { error: { code: 'not_found', message: 'no connection c1-1' } });
      else {
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html>Bad Gateway</html>');
      }
    });
    const rc = client(s);
    await assert.rejects(rc.getStats(), (e) => {
      assert.ok(e instanceof RingcastError);
      assert.deepEqual([e.code, e.status, e.reason, e.retryAfterMs, e.source], ['rate_limited', 429, 'publisher_rate', 3000, 'daemon']);
      return true;
    });
    await assert.rejects(rc.ping(), { code: 'unknown_op', status: 404, message: /has no GET \/api\/ping .*older than this client/ });
    assert.equal(await rc.getConnectionInfo('c1-1'), undefined);
    await assert.rejects(rc.broadcast('e', 1), { code: 'protocol', status: 502, message: /502 .*not ringcastd's JSON.*Bad Gateway/ });
  });

  it('a daemon gone after the first answer: requests wait for it until their deadline', async () => {
    const s = await server((r, res) => answer(res, 200, published(r.json.data)));
    const rc = client(s, { timeout: 400, reconnectDelay: 20, maxReconnectDelay: 50 });
    await rc.broadcastToChannel('c', 'e', 1);
    // Seen closing first: a request written into a connection the server is
    // closing at that moment would be `disconnected` (it may have been read).
    const lost = nextEvent(rc.client, 'disconnect');
    await s.close();
    await lost;
    const reconnecting = nextEvent(rc.client, 'reconnecting');
    await assert.rejects(rc.broadcastToChannel('c', 'e', 2), (e) => {
      assert.equal(e.code, 'timeout');
      assert.match(e.message, /waited 400 ms to be sent .* \(the daemon is not reachable\)/);
      return true;
    });
    const [info] = await reconnecting;
    assert.equal(info.error.code, 'ECONNREFUSED');
    assert.equal(rc.client.state, 'reconnecting');
  });

  it('close() waits for the answers due and refuses what was not sent with `closed`', async () => {
    const held = [];
    const s = await server((r, res) => held.push(() => answer(res, 200, published(r.json.data))));
    const rc = client(s, { connections: 1 });
    const inFlight = rc.broadcastToChannel('c', 'e', 1);
    await within((async () => { while (held.length === 0) await new Promise((r) => setTimeout(r, 5)); })(), 5000, 'the first POST');
    const unsent = rc.broadcastToChannel('c', 'e', 2);
    const closed = rc.close();
    await assert.rejects(unsent, { code: 'closed', message: /closed before "publish" was sent/ });
    await assert.rejects(rc.ping(), { code: 'closed' });
    held.shift()();
    assert.equal((await inFlight).id, '1');
    await within(closed, 5000, 'close()');
    assert.equal(rc.client.state, 'closed');
    assert.deepEqual(s.requests.map((r) => r.json.data), [1]);
  });
});
