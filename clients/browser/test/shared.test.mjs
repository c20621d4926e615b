// Tab sharing with a fake browser: one connection for every tab of the same
// stream, the leader chosen by Web Locks, events and state relayed over
// BroadcastChannel, a takeover that loses nothing, and the per-tab fallback.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { SSEClient } from '@ringcast/browser';

import { eventStream, FakeBrowser, flush } from './helpers/fake-browser.mjs';

// The daemon's side, as far as the tabs can tell: it numbers what it
// publishes, keeps it, and answers a stream with `connected`, the alerts list,
// what the stream missed after its ?lastEventId=, then the live events.
class FakeServer {
  log = [];
  live = new Set();
  served = new Set();
  alerts = [];

  publish(type, data) {
    const e = { type, data, id: 'e' + (this.log.length + 1) };
    this.log.push(e);
    for (const s of this.live) if (!s.closed) s.emit(e.type, e.data, e.id);
    return e.id;
  }

  /** Opens every EventSource of these tabs that it has not served yet. */
  serve(tabs) {
    let n = 0;
    for (const tab of tabs)
      for (const s of tab.openSources) {
        if (this.served.has(s)) continue;
        this.served.add(s);
        n++;
        s.open();
        s.emit('connected', { connectionId: 'c1-' + this.served.size, userId: null });
        s.emit('alerts', this.alerts);
        const after = s.params.get('lastEventId');
        const from = after ? this.log.findIndex((e) => e.id == after) + 1 : this.log.length;
        for (const e of this.log.slice(from)) s.emit(e.type, e.data, e.id);
        this.live.add(s);
      }
    return n;
  }
}

// `count` tabs of one browser, each with a client of the same stream.
async function tabsOf(count, options = {}) {
  const browser = new FakeBrowser();
  const server = new FakeServer();
  const tabs = [];
  const clients = [];
  const seen = [];
  const add = async () => {
    const tab = browser.tab({ fetch: options.fetch });
    const client = new SSEClient({ channels: ['news', 'alerts'], env: tab.env, ...options.client });
    const ids = [];
    client.addEventListener('update', (d, m) => ids.push(m.id));
    tabs.push(tab);
    clients.push(client);
    seen.push(ids);
    client.connect();
    await flush();
    return { tab, client, ids };
  };
  for (let i = 0; i < count; i++) await add();
  server.serve(tabs);
  await flush();
  const sources = () => tabs.flatMap((t) => t.openSources);
  const leaderIndex = () => clients.findIndex((c, i) => !tabs[i].closed && c.connectionState.role == 'leader');
  return { browser, server, tabs, clients, seen, add, sources, leaderIndex };
}

describe('shared: one connection for every tab', () => {
  it('opens one stream for 8 tabs; one tab leads, the others follow and show its state', async () => {
    const { clients, sources, leaderIndex } = await tabsOf(8);
    assert.equal(sources().length, 1);
    assert.equal(leaderIndex(), 0, 'the first tab got the lock');
    assert.deepEqual(
      clients.map((c) => c.connectionState.role),
      ['leader', ...Array(7).fill('follower')],
    );
    for (const c of clients) assert.equal(c.state, 'connected');
  });

  it('relays every event to every tab, once, in order, with its id', async () => {
    const { server, seen, clients } = await tabsOf(4);
    server.publish('update', { n: 1 });
    server.publish('update', { n: 2 });
    await flush();
    for (const ids of seen) assert.deepEqual(ids, ['e1', 'e2']);
    for (const c of clients) {
      assert.equal(c.lastEventId, 'e2');
      assert.deepEqual(c.lastMessage.data, { n: 2 });
    }
  });

  it('mirrors the leader state: a drop shows as reconnecting, with its error, in every tab', async () => {
    const { tabs, clients } = await tabsOf(3);
    const errors = [];
    clients[2].onError((e) => errors.push(e));
    tabs[0].source.drop();
    await flush();
    for (const c of clients) {
      assert.equal(c.state, 'reconnecting');
      assert.equal(c.retryCount, 1);
      assert.equal(c.lastError, 'connection lost');
    }
    assert.deepEqual(errors, ['connection lost']);
  });

  it('the leader listens for the event names the other tabs add', async () => {
    const { tabs, clients, server } = await tabsOf(3);
    assert.ok(!tabs[0].source.listens('chat-message'));
    const got = [];
    clients[2].addEventListener('chat-message', (d) => got.push(d.text));
    await flush();
    assert.ok(tabs[0].source.listens('chat-message'));
    server.publish('chat-message', { text: 'hello' });
    await flush();
    assert.deepEqual(got, ['hello']);
  });

  it('when the leader tab closes, the next tab takes over at once and resumes from the last id: nothing lost, nothing twice', async () => {
    const { tabs, clients, seen, server, sources, browser } = await tabsOf(8);
    server.publish('update', { n: 1 });
    server.publish('update', { n: 2 });
    await flush();
    const clockBefore = browser.clock.now;
    tabs[0].close();
    server.publish('update', { n: 3 }); // while no tab is connected
    await flush();
    assert.equal(sources().length, 1, 'one new stream');
    assert.equal(clients[1].connectionState.role, 'leader');
    assert.equal(tabs[1].source.params.get('lastEventId'), 'e2');
    assert.equal(browser.clock.now - clockBefore, 0, 'no timer was waited for: well within 2 s');
    server.serve(tabs);
    await flush();
    server.publish('update', { n: 4 });
    await flush();
    for (let i = 1; i < 8; i++) {
      assert.deepEqual(seen[i], ['e1', 'e2', 'e3', 'e4'], `tab ${i}`);
      assert.equal(clients[i].state, 'connected');
    }
    tabs[1].close();
    await flush();
    assert.equal(clients[2].connectionState.role, 'leader', 'and again');
    assert.equal(tabs[2].source.params.get('lastEventId'), 'e4');
  });

  it("a follower resumes from the leader's position even when it saw no event with an id (ringcast's id-only block)", async () => {
    const streams = [];
    const { tabs } = await tabsOf(2, {
      client: { transport: 'fetch' },
      fetch: async (url, init) => {
        const s = eventStream();
        s.abortWith(init.signal);
        streams.push(s);
        return s.response;
      },
    });
    assert.equal(streams.length, 1);
    streams[0].push('event: connected\ndata: {}\n\nid: mwt8putv-9\n\n');
    await flush();
    tabs[0].close();
    await flush();
    assert.equal(streams.length, 2);
    assert.equal(new URL(tabs[1].requests[0].url, 'http://x').searchParams.get('lastEventId'), 'mwt8putv-9');
  });

  it('a tab that joins late gets the state and the last connected and alerts list, and no other tab gets them twice', async () => {
    const { add, clients, server } = await tabsOf(2);
    server.alerts = [];
    const connectedEvents = clients.map(() => 0);
    clients.forEach((c, i) => c.addEventListener('connected', () => connectedEvents[i]++));
    const late = await add();
    await flush();
    assert.equal(late.client.state, 'connected');
    assert.equal(late.client.connectionState.role, 'follower');
    assert.equal(late.client.messages.map((m) => m.type).join(), 'connected,alerts');
    assert.deepEqual(connectedEvents, [0, 0]);
  });

  it("a follower's reconnect() makes the leader reconnect; a follower tab coming online wakes the leader", async () => {
    const { tabs, clients, sources, browser } = await tabsOf(3, { client: { reconnect: { baseDelay: 60_000 } } });
    clients[2].reconnect();
    await flush();
    assert.equal(tabs[0].sources.length, 2);
    assert.equal(sources().length, 1);
    tabs[0].source.drop();
    assert.ok(browser.clock.pending().some((d) => d > 1000), 'waiting out a long backoff');
    tabs[2].online();
    await flush();
    assert.equal(tabs[0].sources.length, 3, 'retried at once');
  });

  it("the leader's disconnect() hands the stream to another tab; a follower's leaves the others alone", async () => {
    const { tabs, clients, sources } = await tabsOf(3);
    clients[2].disconnect();
    await flush();
    assert.equal(clients[2].state, 'disconnected');
    assert.equal(sources().length, 1);
    assert.equal(clients[0].connectionState.role, 'leader');
    clients[0].disconnect();
    await flush();
    assert.equal(clients[1].connectionState.role, 'leader');
    assert.equal(sources().length, 1);
    assert.equal(tabs[1].openSources.length, 1);
  });

  it('different channels are different streams; the same options, defaulted or not, are one', async () => {
    const browser = new FakeBrowser();
    const a = browser.tab();
    const b = browser.tab();
    const c = browser.tab();
    new SSEClient({ channels: ['news'], env: a.env }).connect();
    new SSEClient({ channels: ['sport'], env: b.env }).connect();
    const same = new SSEClient({ channels: ['news'], withCredentials: true, url: '/api/sse/stream', env: c.env });
    same.connect();
    await flush();
    assert.equal(a.openSources.length + b.openSources.length + c.openSources.length, 2);
    assert.equal(same.connectionState.role, 'follower', 'the defaults spelled out are the same stream');
  });

  it('falls back to one connection per tab without Web Locks or BroadcastChannel, or with shared: false', async () => {
    const browser = new FakeBrowser();
    const noLocks = browser.tab();
    delete noLocks.env.navigator.locks;
    const noChannel = browser.tab();
    noChannel.env.BroadcastChannel = undefined;
    const optedOut = browser.tab();
    const clients = [new SSEClient({ env: noLocks.env }), new SSEClient({ env: noChannel.env }), new SSEClient({ env: optedOut.env, shared: false })];
    for (const c of clients) c.connect();
    await flush();
    for (const [i, tab] of [noLocks, noChannel, optedOut].entries()) {
      assert.equal(tab.openSources.length, 1);
      assert.equal(clients[i].connectionState.role, 'solo');
    }
  });

  it('an alerts-refresh is fetched by the leader alone and reaches every tab as alerts-update', async () => {
    const fetch = async () => Response.json({ alerts: [{ id: 3, title: 'fresh', priority: 5, alert_type: 'info' }], timestamp: 1 });
    const { tabs, clients } = await tabsOf(3, { fetch });
    tabs[0].source.emit('alerts-refresh', { reason: 'admin_update', timestamp: 1 });
    await flush();
    assert.equal(tabs.reduce((n, t) => n + t.requests.length, 0), 1);
    assert.equal(tabs[0].requests[0].url, '/api/alerts/active');
    for (const c of clients) assert.deepEqual(c.alerts.map((a) => a.title), ['fresh']);
  });
});
