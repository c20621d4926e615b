// transport: 'fetch': the stream read with fetch() and the package's parser,
// the token sent as Authorization, `retry:`, comments and id-only blocks seen,
// refusals read from the answer itself.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { SSEClient } from '@ringcast/browser';

import { eventStream, FakeTab, flush, refusal } from './helpers/fake-browser.mjs';

// A client whose every fetch gets the next of `answers` (a stream made by
// eventStream(), or a Response); the streams are returned to drive them.
function fetching(options = {}, answers = []) {
  const streams = [];
  const tab = new FakeTab(null, {
    fetch: async (url, init) => {
      const next = answers.shift() ?? eventStream();
      if (next.response) {
        next.abortWith(init.signal);
        streams.push(next);
        return next.response;
      }
      return next;
    },
  });
  const client = new SSEClient({ shared: false, transport: 'fetch', env: tab.env, ...options });
  return { tab, client, clock: tab.clock, streams };
}

describe("transport: 'fetch'", () => {
  it('sends the token as Authorization: Bearer, never in the url, asking the getter at every connection', async () => {
    let n = 0;
    const { tab, client, clock, streams } = fetching({ token: () => 'tok-' + ++n, channels: ['alerts'] });
    client.connect();
    await flush();
    assert.equal(tab.requests[0].url, '/api/sse/stream?channels=alerts');
    assert.equal(tab.requests[0].init.headers.authorization, 'Bearer tok-1');
    assert.equal(tab.requests[0].init.credentials, 'include');
    assert.equal(client.state, 'connected');
    streams[0].push('id: e1\nevent: toast\ndata: {"m":1}\n\n');
    await flush();
    streams[0].end();
    await flush();
    assert.equal(client.state, 'reconnecting');
    await clock.advance(500);
    assert.equal(tab.requests[1].init.headers.authorization, 'Bearer tok-2');
    assert.equal(tab.requests[1].url, '/api/sse/stream?channels=alerts&lastEventId=e1');
  });

  it('without a token sends no Authorization, and same-origin credentials with withCredentials: false', async () => {
    const { tab, client } = fetching({ withCredentials: false });
    client.connect();
    await flush();
    assert.equal(tab.requests[0].init.headers.authorization, undefined);
    assert.equal(tab.requests[0].init.credentials, 'same-origin');
  });

  it('reads events across chunk boundaries and CRLF line ends', async () => {
    const { client, streams } = fetching();
    const got = [];
    client.addEventListener('order-update', (d, m) => got.push([d, m.id]));
    client.connect();
    await flush();
    for (const c of ['retry: 1000\r\n\r\nid: a-1\r\nevent: order-up', 'date\r\ndata: {"id":', '"A-1"}\r', '\n\r\n']) streams[0].push(c);
    await flush();
    assert.deepEqual(got, [[{ id: 'A-1' }, 'a-1']]);
  });

  it("takes the position of ringcast's id-only block, which EventSource would keep to itself", async () => {
    const { client, clock, tab, streams } = fetching();
    client.connect();
    await flush();
    streams[0].push('event: connected\ndata: {}\n\nid: mwt8putv-42\n\n');
    await flush();
    assert.equal(client.lastEventId, 'mwt8putv-42');
    streams[0].fail();
    await flush();
    await clock.advance(500);
    assert.equal(new URL(tab.requests[1].url, 'http://x').searchParams.get('lastEventId'), 'mwt8putv-42');
  });

  it("honours the daemon's retry: as the backoff's base", async () => {
    const { client, clock, streams } = fetching({}, [eventStream(), new Response('busy', { status: 503 })]);
    client.connect();
    await flush();
    streams[0].push('retry: 5000\n\n');
    await flush();
    streams[0].end();
    await flush();
    assert.deepEqual(clock.pending(), [2500], 'random 0.5 of a 5000 ms ceiling');
    await clock.advance(2500);
    assert.equal(client.lastError, '503');
    assert.deepEqual(clock.pending(), [5000], 'then doubling from there');
  });

  it('counts comments (": heartbeat") as signs of life', async () => {
    const { client, clock, streams } = fetching({ heartbeatTimeout: 45_000 });
    client.connect();
    await flush();
    for (let i = 0; i < 4; i++) {
      await clock.advance(30_000);
      streams[0].push(': heartbeat\n\n');
      await flush();
    }
    assert.equal(client.state, 'connected');
    await clock.advance(45_000);
    assert.equal(client.state, 'reconnecting');
  });

  it('reads a refusal from the answer: 401 unauthorized with its message', async () => {
    const { client, clock } = fetching({ token: 'bad' }, [refusal(401, 'invalid_token', 'bad_signature', 'the signature does not verify')]);
    client.connect();
    await flush();
    assert.equal(client.state, 'unauthorized');
    assert.equal(client.lastError, '401 bad_signature: the signature does not verify');
    assert.equal(clock.timers.size, 0);
  });

  it('an answer that is not an event stream is an error, not retried', async () => {
    const { client } = fetching({}, [new Response('<!doctype html>', { status: 200, headers: { 'content-type': 'text/html' } })]);
    client.connect();
    await flush();
    assert.equal(client.state, 'error');
    assert.equal(client.lastError, '200 not an event stream');
  });

  it('a network failure is retried; disconnect() aborts the request', async () => {
    let signal;
    const answers = [];
    const { tab, client, clock } = fetching({}, answers);
    tab.env.fetch = async (url, init) => {
      tab.requests.push({ url, init });
      if (tab.requests.length == 1) throw new TypeError('Failed to fetch');
      signal = init.signal;
      return new Promise(() => {});
    };
    client.connect();
    await flush();
    assert.equal(client.state, 'reconnecting');
    assert.equal(client.lastError, 'cannot connect: TypeError: Failed to fetch');
    await clock.advance(500);
    assert.equal(tab.requests.length, 2);
    client.disconnect();
    assert.ok(signal.aborted);
    assert.equal(client.state, 'disconnected');
  });
});
