// The daemon's cache of persistent events through the client, against the real
// daemon: invalidateCache removes cached events by channel, by user, or both
// (a stream opened afterwards no longer gets them); invalidateClientCaches
// clears the cache first and then sends its refresh events; refusals come back
// as RingcastError with the daemon's code; the stats document reports the
// cache, history, mailboxes, store and catch-ups under typed names.
//
// What a new stream got from the cache is read without sleeping: the daemon
// gives cached events to a stream before anything live, so after a live
// marker is published, the events before the marker are exactly the cached
// ones.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Ringcast, RingcastError } from '../dist/esm/index.js';
import { startDaemon } from './helpers/daemon.mjs';
import { hs256Config, mintHs256 } from './helpers/jwt.mjs';
import { Subscriber } from './helpers/sse.mjs';
import { recordingProxy } from './helpers/unix.mjs';

describe('the persistent-event cache', { timeout: 60_000 }, () => {
  let daemon;
  let proxy;
  let rc;
  const open = [];
  let markers = 0;
  let invalidated = 0; // every cached event the tests removed, for cache.invalidated

  const invalidate = async (channels, users) => {
    const r = await rc.invalidateCache(channels, users);
    invalidated += r.removed;
    return r;
  };
  const invalidateClientCaches = async (channels, users) => {
    const r = await rc.invalidateClientCaches(channels, users);
    invalidated += r.removed;
    return r;
  };

  /** A stream on `channel`, as `user` when given (a token whose sub it is). */
  const subscribe = async (channel, user) => {
    const token = user === undefined ? undefined : mintHs256({ sub: String(user) });
    const s = await Subscriber.open(daemon.port, [channel], { token });
    open.push(s);
    return s;
  };
  /** The data of what a new stream on `channel` got from the cache. */
  const cachedFor = async (channel, user) => {
    const s = await subscribe(channel, user);
    const marker = ++markers;
    await rc.broadcastToChannel(channel, 'marker', marker);
    const before = await s.until((e) => e.event === 'marker' && e.json() === marker);
    s.close();
    return before.filter((e) => e.event !== 'heartbeat').map((e) => e.json());
  };
  const persist = (channel, data, more = {}) =>
    rc.sendMessage({ channel, event: 'kept', data, persistent: true, ...more });

  before(async () => {
    daemon = await startDaemon({ config: hs256Config() });
    proxy = await recordingProxy(daemon.socketPath);
    rc = new Ringcast({ socketPath: proxy.path, timeout: 5000 });
  });
  after(async () => {
    for (const s of open) s.close();
    await rc?.close();
    proxy?.close();
    await daemon?.stop();
  });

  it('invalidateCache(channels): a new stream of those channels no longer gets their cached events', async () => {
    await persist('inv-a', 'a1');
    await persist('inv-a', 'a2');
    await persist('inv-b', 'b1');
    assert.deepEqual(await cachedFor('inv-a'), ['a1', 'a2']);

    assert.deepEqual(await invalidate(['inv-a']), { removed: 2 });
    assert.deepEqual(proxy.last('invalidate'), { op: 'invalidate', req: proxy.last('invalidate').req, channels: ['inv-a'] });
    assert.deepEqual(await cachedFor('inv-a'), []);
    assert.deepEqual(await cachedFor('inv-b'), ['b1'], 'another channel keeps its cache');
    // Nothing left to remove.
    assert.deepEqual(await invalidate(['inv-a'], null), { removed: 0 });
    assert.deepEqual(await invalidate(['inv-b']), { removed: 1 });
  });

  it('invalidateCache(null, users): those users\' cached events, on any channel; with channels too, only there', async () => {
    await persist('inv-u', 'for-42', { targetUsers: ['42'] });
    await persist('inv-u', 'for-7', { targetUsers: [7] });
    await persist('inv-u', 'for-all');
    await persist('inv-v', 'v-for-42', { targetUsers: [42] });
    await persist('inv-w', 'w-for-42', { targetUsers: ['42'] });
    assert.deepEqual(await cachedFor('inv-u', 42), ['for-42', 'for-all']);

    // Users only: 42's events on every channel (an integer id is the same user).
    assert.deepEqual(await invalidate(null, [42]), { removed: 3 });
    assert.deepEqual(proxy.last('invalidate').users, [42]);
    assert.equal('channels' in proxy.last('invalidate'), false, 'null is not sent');
    assert.deepEqual(await cachedFor('inv-u', '42'), ['for-all']);
    assert.deepEqual(await cachedFor('inv-v', '42'), []);
    assert.deepEqual(await cachedFor('inv-u', '7'), ['for-7', 'for-all'], "7's events stay");

    // Both: 7's events on inv-w only (none there), then on inv-u.
    assert.deepEqual(await invalidate(['inv-w'], ['7']), { removed: 0 });
    assert.deepEqual(await invalidate(['inv-u'], ['7']), { removed: 1 });
    assert.deepEqual(await cachedFor('inv-u', '7'), ['for-all'], 'events for everyone are not user events');
  });

  it('invalidateClientCaches clears the cache first, then the refresh reaches the open streams', async () => {
    await persist('inv-alerts', { banner: 'old' });
    const tab = await subscribe('inv-alerts');
    assert.deepEqual((await tab.nextNamed('kept')).json(), { banner: 'old' }, 'the cached event, as a stream opens');

    const before = proxy.requests.length;
    const r = await invalidateClientCaches(['inv-alerts'], null);
    assert.equal(r.removed, 1);
    assert.equal(r.sent, 1);
    assert.equal(r.failed, 0);
    assert.equal(r.results.length, 1);
    assert.equal(r.results[0].ok, true);
    // On the wire: the invalidate, then the batch of refreshes.
    const sent = proxy.requests.slice(before);
    assert.deepEqual(
      sent.map((q) => q.op),
      ['invalidate', 'publish'],
    );
    assert.deepEqual(sent[0].channels, ['inv-alerts']);
    assert.equal('users' in sent[0], false, 'null users: the whole channel');
    const refresh = await tab.nextNamed('refresh');
    assert.equal(refresh.id, r.results[0].id);
    assert.deepEqual({ ...refresh.json(), timestamp: 0 }, { reason: 'cache_invalidated', channel: 'inv-alerts', timestamp: 0 });
    // The browser reloads; its new stream is not handed the stale event.
    assert.deepEqual(await cachedFor('inv-alerts'), []);
  });

  it('invalidateClientCaches(channels, users): those users\' cached events go, and only they are refreshed', async () => {
    await persist('inv-notes', 'note-42', { targetUsers: ['42'] });
    await persist('inv-notes', 'note-all');
    const mine = await subscribe('inv-notes', 42);
    const other = await subscribe('inv-notes', 7);
    assert.deepEqual((await mine.nextNamed('kept')).json(), 'note-42');

    const r = await invalidateClientCaches(['inv-notes'], [42]);
    assert.equal(r.removed, 1);
    assert.equal(r.sent, 1);
    assert.deepEqual(proxy.last('invalidate').users, [42]);
    assert.equal((await mine.nextNamed('refresh')).json().reason, 'cache_invalidated');
    // 7 got no refresh: a marker after it is the next thing 7 sees.
    const marker = ++markers;
    await rc.broadcastToChannel('inv-notes', 'marker', marker);
    const seen = await other.until((e) => e.event === 'marker' && e.json() === marker);
    assert.deepEqual(
      seen.filter((e) => e.event !== 'heartbeat').map((e) => [e.event, e.json()]),
      [['kept', 'note-all']],
    );
    assert.deepEqual(await cachedFor('inv-notes', 42), ['note-all']);
  });

  it('a refused invalidate rejects with a RingcastError carrying the daemon\'s code', async () => {
    for (const [channels, users, message] of [
      [null, null, /give "channels", "users" or both/],
      [[], undefined, /give "channels", "users" or both/],
      [[], [], /give "channels", "users" or both/],
      [['not a channel'], null, /"not a channel" is not a channel name/],
      [null, [''], /"users" holds something that is not a user id/],
    ]) {
      await assert.rejects(rc.invalidateCache(channels, users), (e) => {
        assert.ok(e instanceof RingcastError);
        assert.equal(e.code, 'invalid_field');
        assert.equal(e.source, 'daemon');
        assert.equal(e.op, 'invalidate');
        assert.match(e.message, message);
        return true;
      });
    }
    // invalidateClientCaches stops at the refused invalidate: no refresh goes out.
    const before = proxy.requests.length;
    await assert.rejects(rc.invalidateClientCaches(['ok-channel', 'not a channel'], null), (e) => {
      assert.ok(e instanceof RingcastError);
      assert.equal(e.code, 'invalid_field');
      assert.equal(e.source, 'daemon');
      assert.match(e.message, /^invalidateClientCaches: clearing the cache: .*"not a channel"/);
      return true;
    });
    assert.deepEqual(
      proxy.requests.slice(before).map((q) => q.op),
      ['invalidate'],
    );
    // No channels: nothing to do, nothing sent.
    assert.deepEqual(await rc.invalidateClientCaches([], ['42']), { removed: 0, sent: 0, failed: 0, results: [] });
    assert.equal(proxy.requests.length, before + 1);
  });

  it('the stats report the cache, history, mailboxes, store and catch-ups', async () => {
    // Earlier tests left some events cached: the figures are read as changes.
    const was = await rc.getStats();
    await persist('inv-stats', 's1');
    await persist('inv-stats', 's2');
    // A retryable event for a user with no stream waits in a mailbox.
    const mailed = await rc.sendToUser('offline-9', 'notification', { n: 1 }, { retryable: true });
    assert.equal(mailed.sent, 0);
    assert.deepEqual(await cachedFor('inv-stats'), ['s1', 's2']);

    const s = await rc.getStats();
    assert.equal(s.cacheSize, was.cacheSize + 2);
    assert.equal(s.cache.events, s.cacheSize);
    assert.equal(s.cache.channels, was.cache.channels + 1);
    assert.ok(s.cache.bytes > was.cache.bytes);
    assert.equal(s.cache.invalidated, invalidated);
    assert.ok(invalidated >= 9, `the tests before removed ${invalidated} events`);
    for (const k of ['evicted', 'expired']) assert.equal(s.cache[k], 0, `cache.${k}`);
    assert.ok(s.history.channels > was.history.channels, 'inv-stats has history now');
    assert.ok(s.history.events >= was.history.events + 3 && s.history.bytes > was.history.bytes);
    assert.equal(typeof s.history.evicted, 'number');
    assert.equal(typeof s.history.expired, 'number');
    assert.equal(s.mailboxes.users, 1);
    assert.equal(s.mailboxes.events, 1);
    assert.equal(s.mailboxes.mailed, 1);
    for (const k of ['bytes', 'evicted', 'expired', 'delivered', 'returned', 'pending'])
      assert.equal(typeof s.mailboxes[k], 'number', `mailboxes.${k}`);
    assert.equal(s.store.enabled, true, 'startDaemon gives the daemon a data dir, where the store lives');
    if (s.store.enabled) {
      assert.equal(s.store.path.startsWith(daemon.dataDir), true, s.store.path);
      for (const k of ['written', 'commits', 'failedCommits', 'givenUp', 'pending', 'lastCommit', 'lastCommitUs', 'bytes'])
        assert.equal(typeof s.store[k], 'number', `store.${k}`);
    }
    assert.ok(s.catchUp.streams > was.catchUp.streams, 'the stream given cached events before going live');
    assert.ok(s.catchUp.replayed >= was.catchUp.replayed + 2);
    for (const k of ['resumes', 'gaps', 'trimmed', 'buffered', 'deferred']) assert.equal(typeof s.catchUp[k], 'number', `catchUp.${k}`);
    for (const k of ['eventsDropped', 'eventsExpiredInQueue', 'slowReaderDisconnects', 'droppedSlowReaders'])
      assert.equal(s[k], 0, k);
    // inv-alerts still has the stream of an earlier test (and maybe closed
    // ones the daemon has not noticed yet).
    const alerts = s.channelStats['inv-alerts'];
    assert.ok(alerts.connections >= 1);
    assert.deepEqual({ ...alerts, connections: 0 }, { connections: 0, dropped: 0, expired: 0, disconnected: 0 });
    assert.equal((await rc.getSystemStats()).cacheSize, s.cacheSize);
  });
});
