// SSEClient's state machine over an EventSource the test drives, on a clock
// the test moves: states, backoff and its jitter, attempts, refusals, the
// token refresh, the heartbeat timeout, wake-ups and the resume position.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { backoffDelay, createSSEClient, EVENT_NAMES, SSEClient } from '@ringcast/browser';

import { FakeTab, flush, refusal } from './helpers/fake-browser.mjs';

function solo(options = {}, tabOptions = {}) {
  const tab = new FakeTab(null, tabOptions);
  const client = new SSEClient({ shared: false, env: tab.env, ...options });
  const states = [];
  client.onStateChange((s) => states.push(s.status));
  return { tab, client, clock: tab.clock, states };
}

// Connects and opens the stream.
async function connected(options, tabOptions) {
  const t = solo(options, tabOptions);
  t.client.connect();
  await flush();
  t.tab.source.open();
  return t;
}

describe('SSEClient: connecting and events', () => {
  it('starts disconnected, connects to /api/sse/stream with cookies, and is connected once the stream opens', async () => {
    const { tab, client, states } = solo();
    assert.equal(client.state, 'disconnected');
    let opened = 0;
    client.onConnect(() => opened++);
    client.connect();
    assert.equal(client.state, 'connecting');
    await flush();
    assert.equal(tab.sources.length, 1);
    assert.equal(tab.source.url, '/api/sse/stream');
    assert.equal(tab.source.withCredentials, true);
    tab.source.open();
    assert.equal(client.state, 'connected');
    assert.equal(opened, 1);
    assert.deepEqual(states, ['connecting', 'connected']);
    assert.deepEqual(client.connectionState, {
      status: 'connected',
      retryCount: 0,
      maxAttempts: 5,
      lastError: null,
      lastEventId: null,
      role: 'solo',
    });
  });

  it('asks for its channels, and a second connect() does nothing', async () => {
    const { tab, client } = solo({ url: '/api/sse/stream?x=1', channels: ['news', 'a:b'] });
    client.connect();
    client.connect();
    await flush();
    assert.equal(tab.sources.length, 1);
    assert.equal(tab.source.url, '/api/sse/stream?x=1&channels=news,a%3Ab');
  });

  it("listens for ringcast's events and the seeds' by name, and for any name added later", async () => {
    const { tab, client } = await connected({ events: ['order-update'] });
    for (const name of [...EVENT_NAMES, 'order-update']) assert.ok(tab.source.listens(name), name);
    assert.ok(!tab.source.listens('chat-message'));
    const got = [];
    client.addEventListener('chat-message', (data, m) => got.push([data, m.type, m.id]));
    assert.ok(tab.source.listens('chat-message'), 'registered on the open EventSource');
    tab.source.emit('chat-message', { text: 'hi' }, 'e1');
    assert.deepEqual(got, [[{ text: 'hi' }, 'chat-message', 'e1']]);
  });

  it('hands listeners the parsed JSON, or the text when it is not JSON, and removes them', async () => {
    const { tab, client } = await connected();
    const got = [];
    const fn = (data) => got.push(data);
    client.addEventListener('toast', fn);
    tab.source.emit('toast', { message: 'saved' });
    tab.source.emit('toast', 'plain text');
    tab.source.emit('toast', '42');
    client.removeEventListener('toast', fn);
    tab.source.emit('toast', { message: 'unheard' });
    assert.deepEqual(got, [{ message: 'saved' }, 'plain text', 42]);
  });

  it('keeps a bounded history without heartbeats, and clearMessages() empties it', async () => {
    const { tab, client } = await connected({ maxMessages: 3 });
    const seen = [];
    client.onMessage((m) => seen.push(m.type));
    tab.source.emit('connected', { connectionId: 'c1-1', userId: null });
    tab.source.emit('heartbeat', { status: 'alive' });
    for (let i = 0; i < 4; i++) tab.source.emit('notification', { i }, `e${i}`);
    assert.deepEqual(
      client.messages.map((m) => m.data.i),
      [1, 2, 3],
    );
    assert.equal(client.lastMessage.data.i, 3);
    assert.equal(client.lastMessage.id, 'e3');
    assert.equal(typeof client.lastMessage.timestamp, 'number');
    assert.deepEqual(seen, ['connected', 'notification', 'notification', 'notification', 'notification']);
    const before = client.messages;
    client.clearMessages();
    assert.deepEqual(client.messages, []);
    assert.equal(client.lastMessage, null);
    assert.notEqual(before, client.messages);
  });

  it('hands a server event named "error" to its listeners without failing the stream', async () => {
    const { tab, client } = await connected();
    const got = [];
    client.addEventListener('error', (d) => got.push(d));
    tab.source.emit('error', { error: 'quota', code: 7 });
    assert.deepEqual(got, [{ error: 'quota', code: 7 }]);
    assert.equal(client.state, 'connected');
  });

  it('surfaces refresh {reason: "history-gap"} and token-expired as events', async () => {
    const { tab, client } = await connected();
    const got = [];
    client.addEventListener('refresh', (d) => got.push(['refresh', d.reason]));
    client.addEventListener('token-expired', (d) => got.push(['token-expired', d.reason]));
    tab.source.emit('refresh', { reason: 'history-gap' });
    tab.source.emit('token-expired', { reason: 'token-expired', timestamp: 1 });
    assert.deepEqual(got, [
      ['refresh', 'history-gap'],
      ['token-expired', 'token-expired'],
    ]);
  });

  it('calls the option callbacks of the moment, and the registered ones, each once', async () => {
    const calls = [];
    const { tab, client, clock } = solo({ onConnect: () => calls.push('option connect') });
    const off = client.onConnect(() => calls.push('registered connect'));
    client.options.onMessage = (m) => calls.push('message ' + m.type);
    client.connect();
    await flush();
    tab.source.open();
    tab.source.emit('toast', {});
    off();
    tab.source.drop();
    await clock.advance(500);
    tab.source.open();
    assert.deepEqual(calls, ['registered connect', 'option connect', 'message toast', 'option connect']);
  });

  it('keeps running when a listener throws, and reports the error on its own', async () => {
    const { tab, client } = await connected();
    const thrown = [];
    const realSetTimeout = globalThis.setTimeout;
    globalThis.setTimeout = (fn) => {
      try {
        fn();
      } catch (e) {
        thrown.push(e.message);
      }
    };
    const got = [];
    try {
      client.addEventListener('toast', () => {
        throw new Error('page bug');
      });
      client.addEventListener('toast', (d) => got.push(d));
      tab.source.emit('toast', { ok: true });
    } finally {
      globalThis.setTimeout = realSetTimeout;
    }
    assert.deepEqual(thrown, ['page bug']);
    assert.deepEqual(got, [{ ok: true }]);
  });

  it('createSSEClient makes an SSEClient', () => {
    assert.ok(createSSEClient({ shared: false }) instanceof SSEClient);
  });
});

describe('SSEClient: reconnecting', () => {
  it('backoffDelay: full jitter under a ceiling that doubles up to the maximum', () => {
    const top = () => 0.999999;
    assert.equal(backoffDelay(1, 1000, 30000, () => 0), 0);
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 50].map((n) => backoffDelay(n, 1000, 30000, top)),
      [999, 1999, 3999, 7999, 15999, 29999, 29999, 29999],
    );
    for (let i = 0; i < 1000; i++) {
      const d = backoffDelay(3, 1000, 30000);
      assert.ok(d >= 0 && d < 4000, String(d));
    }
  });

  it('drops to reconnecting, waits a jittered delay that grows, and resumes', async () => {
    const { tab, client, clock } = await connected();
    let dropped = 0;
    client.onDisconnect(() => dropped++);
    tab.source.drop();
    assert.equal(client.state, 'reconnecting');
    assert.equal(client.retryCount, 1);
    assert.equal(client.lastError, 'connection lost');
    assert.equal(dropped, 1);
    assert.ok(tab.sources[0].closed, 'the client closes the EventSource: it reconnects itself');
    assert.deepEqual(clock.pending(), [500], 'random 0.5 of a 1000 ms ceiling');
    await clock.advance(499);
    assert.equal(tab.sources.length, 1);
    await clock.advance(1);
    assert.equal(tab.sources.length, 2);
    tab.source.drop(); // before it opened
    assert.equal(client.retryCount, 2);
    assert.deepEqual(clock.pending(), [1000]);
    await clock.advance(1000);
    tab.source.drop();
    assert.deepEqual(clock.pending(), [2000]);
    await clock.advance(2000);
    tab.source.open();
    assert.equal(client.state, 'connected');
    assert.equal(client.retryCount, 0);
    assert.equal(client.lastError, null);
    tab.source.drop();
    assert.deepEqual(clock.pending(), [500], 'a stream that opened starts the backoff again');
  });

  it('draws each delay at random over the whole window (full jitter)', async () => {
    const draws = [0, 0.25, 0.999];
    const { tab, clock } = await connected({}, { random: () => draws.shift() });
    tab.source.drop();
    assert.deepEqual(clock.pending(), [0]);
    await clock.advance(0);
    tab.source.drop();
    assert.deepEqual(clock.pending(), [500]);
    await clock.advance(500);
    tab.source.drop();
    assert.deepEqual(clock.pending(), [3996]);
  });

  it('gives up after maxAttempts failed attempts in a row: error', async () => {
    const { tab, client, clock } = await connected({ reconnect: { maxAttempts: 3, baseDelay: 100 } });
    const counts = [];
    for (let i = 0; i < 3; i++) {
      tab.source.drop();
      counts.push(`${client.state} ${client.retryCount}/${client.connectionState.maxAttempts}`);
      await clock.advance(10_000);
    }
    tab.source.drop();
    assert.deepEqual(counts, ['reconnecting 1/3', 'reconnecting 2/3', 'reconnecting 3/3']);
    assert.equal(client.state, 'error');
    assert.equal(client.lastError, 'cannot connect');
    assert.equal(clock.timers.size, 0, 'nothing more is scheduled');
    assert.equal(tab.sources.length, 4);
    client.reconnect();
    await flush();
    assert.equal(client.state, 'connecting');
    assert.equal(tab.sources.length, 5);
  });

  it('never gives up with maxAttempts: Infinity, and never waits more than maxDelay', async () => {
    const { tab, client, clock } = await connected({ reconnect: { maxAttempts: Infinity, maxDelay: 8000 } }, { random: () => 0.999999 });
    for (let i = 0; i < 40; i++) {
      tab.source.drop();
      assert.ok(clock.pending()[0] < 8000);
      await clock.advance(8000);
    }
    assert.equal(client.state, 'reconnecting');
    assert.equal(client.retryCount, 40);
  });

  it('never reconnects with reconnect: false', async () => {
    const { tab, client, clock } = await connected({ reconnect: false });
    tab.source.drop();
    assert.equal(client.state, 'error');
    assert.equal(clock.timers.size, 0);
  });

  it('keeps the last event id and resumes from it on every reconnection (?lastEventId=)', async () => {
    const { tab, client, clock } = await connected({ lastEventId: 'mwt8putv-1' });
    assert.equal(tab.sources[0].params.get('lastEventId'), 'mwt8putv-1');
    tab.source.emit('connected', {}); // no id yet on this EventSource: the position stays
    assert.equal(client.lastEventId, 'mwt8putv-1');
    tab.source.emit('notification', { n: 2 }, 'mwt8putv-2');
    tab.source.emit('heartbeat', {});
    assert.equal(client.lastEventId, 'mwt8putv-2');
    tab.source.drop();
    await clock.advance(1000);
    assert.equal(tab.source.params.get('lastEventId'), 'mwt8putv-2');
    tab.source.drop();
    await clock.advance(2000);
    assert.equal(tab.source.params.get('lastEventId'), 'mwt8putv-2', 'kept across attempts that never opened');
    tab.source.open();
    tab.source.emit('notification', { n: 3 }, 'mwt8putv-3');
    tab.source.drop();
    await clock.advance(1000);
    assert.equal(tab.source.params.get('lastEventId'), 'mwt8putv-3');
  });

  it('disconnect() closes the stream and stops every timer; reconnect() starts at attempt 0', async () => {
    const { tab, client, clock } = await connected();
    tab.source.drop();
    tab.source && (await clock.advance(500));
    tab.source.drop();
    assert.equal(client.retryCount, 2);
    client.disconnect();
    assert.equal(client.state, 'disconnected');
    assert.equal(clock.timers.size, 0);
    await clock.advance(60_000);
    assert.equal(tab.sources.length, 2);
    client.reconnect();
    await flush();
    assert.equal(client.state, 'connecting');
    assert.equal(client.retryCount, 0);
    assert.equal(tab.sources.length, 3);
  });
});

describe('SSEClient: refusals', () => {
  // The EventSource gives up (CLOSED); the client learns the status with one fetch.
  async function refusedWith(response, options = {}) {
    const t = await connected(options, { fetch: async (url, init) => (typeof response == 'function' ? response(url, init) : response) });
    t.tab.source.refuse();
    await flush();
    return t;
  }

  it('401 without refreshToken: unauthorized, with the reason and message of the JSON body', async () => {
    const { tab, client, clock } = await refusedWith(refusal(401, 'invalid_token', 'expired', 'the token expired at 12:00'));
    assert.equal(client.state, 'unauthorized');
    assert.equal(client.lastError, '401 expired: the token expired at 12:00');
    assert.equal(tab.requests.length, 1, 'one probe');
    assert.equal(tab.requests[0].url, tab.source.url, 'of the same url');
    assert.equal(tab.requests[0].init.credentials, 'include');
    assert.equal(clock.timers.size, 0);
  });

  it('403: unauthorized; 204: disconnected; 400 and 404: error; none retried', async () => {
    for (const [response, state] of [
      [refusal(403, 'forbidden', 'missing_role', 'for the roles admin'), 'unauthorized'],
      [new Response(null, { status: 204 }), 'disconnected'],
      [refusal(400, 'bad_request', undefined, 'bad channel name'), 'error'],
      [new Response('not here', { status: 404 }), 'error'],
      [new Response('<html>', { status: 200, headers: { 'content-type': 'text/html' } }), 'error'],
    ]) {
      const { client, clock, tab } = await refusedWith(response);
      assert.equal(client.state, state, String(response.status));
      assert.equal(clock.timers.size, 0);
      assert.equal(tab.sources.length, 1);
    }
  });

  it('429 and 503 are retried, not sooner than Retry-After', async () => {
    const { client, clock } = await refusedWith(refusal(429, 'rate_limited', 'ip_rate', 'too many', { 'retry-after': '7' }));
    assert.equal(client.state, 'reconnecting');
    assert.equal(client.lastError, '429 ip_rate: too many');
    assert.deepEqual(clock.pending(), [7000]);
    const b = await refusedWith(new Response('busy', { status: 503 }));
    assert.equal(b.client.state, 'reconnecting');
    assert.deepEqual(b.clock.pending(), [500]);
  });

  it('a probe that finds a stream (a passing failure) is aborted at once and retried with backoff', async () => {
    let signal;
    const { client, clock } = await refusedWith((url, init) => {
      signal = init.signal;
      return new Response(new ReadableStream(), { headers: { 'content-type': 'text/event-stream' } });
    });
    assert.ok(signal.aborted);
    assert.equal(client.state, 'reconnecting');
    assert.equal(clock.timers.size, 1);
  });

  it('401 with refreshToken: one refresh, one immediate retry with the new token, then unauthorized', async () => {
    const tokens = ['t1', 't2', 't3'];
    let refreshes = 0;
    const { tab, client, clock } = await refusedWith(refusal(401, 'invalid_token', 'expired', 'expired'), {
      token: () => tokens[0],
      refreshToken: async () => {
        refreshes++;
        tokens.shift();
      },
    });
    assert.equal(tab.sources[0].params.get('token'), 't1');
    assert.equal(refreshes, 1);
    assert.equal(tab.sources.length, 2, 'retried at once, no backoff');
    assert.equal(tab.source.params.get('token'), 't2', 'the getter is asked again');
    assert.equal(client.state, 'connecting');
    tab.source.refuse();
    await flush();
    assert.equal(refreshes, 1, 'one refresh per refusal');
    assert.equal(client.state, 'unauthorized');
    assert.equal(clock.timers.size, 0);
  });

  it('401 with refreshToken: the retry that opens recovers, and a later 401 may refresh again', async () => {
    let refreshes = 0;
    const { tab, client } = await refusedWith(refusal(401, 'invalid_token', 'expired', 'expired'), {
      refreshToken: () => (refreshes++, 'fresh-' + refreshes),
    });
    assert.equal(tab.source.params.get('token'), 'fresh-1', 'a string refreshToken returns is the token');
    tab.source.open();
    assert.equal(client.state, 'connected');
    tab.source.refuse();
    await flush();
    assert.equal(refreshes, 2);
    assert.equal(tab.source.params.get('token'), 'fresh-2');
  });

  it('a refreshToken that throws: unauthorized, saying so', async () => {
    const { client } = await refusedWith(refusal(401, 'unauthorized', 'missing_token', 'no token'), {
      refreshToken: async () => {
        throw new Error('signed out');
      },
    });
    assert.equal(client.state, 'unauthorized');
    assert.equal(client.lastError, 'refreshToken: Error: signed out');
  });

  it('after token-expired, refreshes before it reconnects (no 401 round trip)', async () => {
    let token = 'old';
    let refreshes = 0;
    const { tab, client } = await connected({
      token: async () => token,
      refreshToken: async () => {
        refreshes++;
        token = 'new';
      },
    });
    tab.source.emit('token-expired', { reason: 'token-expired' });
    tab.source.drop();
    await flush();
    assert.equal(refreshes, 1);
    assert.equal(tab.sources.length, 2, 'at once');
    assert.equal(tab.source.params.get('token'), 'new');
    tab.source.open();
    assert.equal(client.state, 'connected');
  });

  it('a browser without EventSource fails its attempts, and throws nothing', async () => {
    const { tab, client } = solo({ reconnect: { maxAttempts: 0 } });
    tab.env.EventSource = undefined;
    client.connect();
    await flush();
    assert.equal(client.state, 'error');
    assert.match(client.lastError, /^cannot connect: TypeError/);
  });

  it('a token getter that fails counts as a failed attempt', async () => {
    let fail = true;
    const { tab, client, clock } = solo({
      token: async () => {
        if (fail) throw new Error('session endpoint down');
        return 'tok';
      },
    });
    client.connect();
    await flush();
    assert.equal(tab.sources.length, 0);
    assert.equal(client.state, 'reconnecting');
    assert.equal(client.lastError, 'cannot connect: Error: session endpoint down');
    fail = false;
    await clock.advance(500);
    assert.equal(tab.source.params.get('token'), 'tok');
  });
});

describe('SSEClient: heartbeat timeout and wake-ups', () => {
  it('declares the stream dead after 45 s without a byte, and reconnects', async () => {
    const { tab, client, clock } = await connected();
    await clock.advance(30_000);
    tab.source.emit('heartbeat', { status: 'alive' });
    await clock.advance(44_999);
    assert.equal(client.state, 'connected', 'the timer re-armed for the time left since the heartbeat');
    await clock.advance(1);
    assert.equal(client.state, 'reconnecting');
    assert.equal(client.lastError, 'no data for 45000 ms');
    assert.ok(tab.sources[0].closed);
  });

  it('measures on the clock: a throttled tab that comes into view finds the stream dead at once and reconnects at once', async () => {
    const { tab, client, clock } = await connected();
    tab.setVisible(false);
    clock.jump(10 * 60_000); // the tab slept; no timer ran
    assert.equal(client.state, 'connected');
    tab.setVisible(true);
    await flush();
    assert.equal(tab.sources.length, 2, 'a new attempt at once, not after a backoff delay');
    assert.equal(client.state, 'connecting');
  });

  it('any event restarts the wait; heartbeatTimeout: 0 never times out', async () => {
    const a = await connected({ heartbeatTimeout: 1000 });
    for (let i = 0; i < 5; i++) {
      await a.clock.advance(900);
      a.tab.source.emit('toast', {});
    }
    assert.equal(a.client.state, 'connected');
    const b = await connected({ heartbeatTimeout: 0 });
    await b.clock.advance(3_600_000);
    assert.equal(b.client.state, 'connected');
  });

  it('an attempt that hangs (no answer at all) fails after the same timeout', async () => {
    const { tab, client, clock } = solo();
    client.connect();
    await flush();
    await clock.advance(45_000);
    assert.equal(client.state, 'reconnecting');
    assert.ok(tab.sources[0].closed);
  });

  it('online: retries at once instead of waiting out the backoff', async () => {
    const { tab, client, clock } = await connected({ reconnect: { baseDelay: 20_000 } });
    tab.source.drop();
    assert.deepEqual(clock.pending(), [10_000]);
    tab.online();
    await flush();
    assert.equal(tab.sources.length, 2);
    assert.equal(clock.pending().length, 1, 'only the attempt timeout is left');
    assert.equal(client.retryCount, 0);
  });

  it('offline: spends no attempt, and goes on when the browser is online again', async () => {
    const { tab, client, clock } = await connected({ reconnect: { maxAttempts: 1 } });
    tab.navigator.onLine = false;
    tab.source.drop();
    await clock.advance(60_000);
    assert.equal(tab.sources.length, 1, 'no attempt while offline');
    assert.equal(client.state, 'reconnecting');
    tab.online();
    await flush();
    assert.equal(tab.sources.length, 2);
  });

  it('a hidden tab that becomes visible after a drop retries at once, and so does one in error', async () => {
    const { tab, client, clock } = await connected({ reconnect: { maxAttempts: 1, baseDelay: 30_000 } });
    tab.setVisible(false);
    tab.source.drop();
    tab.setVisible(true);
    await flush();
    assert.equal(tab.sources.length, 2);
    tab.source.drop();
    await clock.advance(60_000);
    tab.source.drop();
    assert.equal(client.state, 'error');
    tab.setVisible(false);
    tab.setVisible(true);
    await flush();
    assert.equal(client.state, 'connecting');
  });

  it('neither online nor visibility wakes a client that was told to stop', async () => {
    const { tab, client } = await refusedClient();
    tab.online();
    tab.setVisible(true);
    await flush();
    assert.equal(client.state, 'unauthorized');
    assert.equal(tab.sources.length, 1);

    async function refusedClient() {
      const t = await connected({}, { fetch: async () => refusal(403, 'forbidden', 'missing_role', 'no') });
      t.tab.source.refuse();
      await flush();
      return t;
    }
  });
});
