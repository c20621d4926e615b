// Pure parts, no daemon: reconnect delays, reply framing, settings, errors, and
// the exact message each seed operation builds.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Backoff } from '../dist/esm/backoff.js';
import { LineSplitter } from '../dist/esm/line-splitter.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { defaultSocketPath, httpFromEnv, resolveOptions } from '../dist/esm/options.js';
import { CHANNELS, Ringcast, RingcastClient, RingcastError, TOAST_DEFAULTS, messages } from '../dist/esm/index.js';
import { groupName } from '../dist/esm/socket-errors.js';

describe('Backoff', () => {
  it('doubles from the initial delay up to the cap, with half of each delay jittered', () => {
    const low = new Backoff({ initialDelay: 100, maxDelay: 1000, random: () => 0 });
    const high = new Backoff({ initialDelay: 100, maxDelay: 1000, random: () => 0.999999 });
    assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => low.next()), [50, 100, 200, 400, 500, 500]);
    assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => high.next()), [100, 200, 400, 800, 1000, 1000]);
  });

  it('stays finite after many attempts and starts over after reset()', () => {
    const b = new Backoff({ initialDelay: 10, maxDelay: 5000, random: () => 0.5 });
    for (let i = 0; i < 2000; i++) assert.ok(b.next() <= 5000);
    assert.equal(b.attempt, 2000);
    b.reset();
    assert.equal(b.next(), 8); // 10 * (0.5 + 0.5 / 2) rounded
  });

  it('refuses a cap below the initial delay', () => {
    assert.throws(() => new Backoff({ initialDelay: 100, maxDelay: 50 }), RangeError);
  });
});

describe('LineSplitter', () => {
  it('joins lines split across chunks and splits chunks holding many lines', () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push('{"a":1}\n{"b"'), ['{"a":1}']);
    assert.deepEqual(s.push(':2}\r\n\n{"c":3}\n{"d":4}\n'), ['{"b":2}', '{"c":3}', '{"d":4}']);
    assert.deepEqual(s.push('{"e"'), []);
    s.reset();
    assert.deepEqual(s.push('{"f":6}\n'), ['{"f":6}']);
  });
});

describe('options', () => {
  it('takes the socket from RINGCAST_SOCKET, else ./var/ringcast.sock if it exists, else /run/ringcast/ringcast.sock', () => {
    const there = () => true;
    const absent = () => false;
    assert.equal(defaultSocketPath({ RINGCAST_SOCKET: '/srv/r.sock' }, there), '/srv/r.sock');
    assert.equal(defaultSocketPath({}, there), './var/ringcast.sock');
    assert.equal(defaultSocketPath({ RINGCAST_SOCKET: '' }, there), './var/ringcast.sock');
    assert.equal(defaultSocketPath({}, absent), '/run/ringcast/ringcast.sock');
    const asked = [];
    defaultSocketPath({}, (p) => (asked.push(p), false));
    assert.deepEqual(asked, ['./var/ringcast.sock']);
  });

  it('looks for ./var/ringcast.sock in the working directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ringcast-cwd-'));
    const cwd = process.cwd();
    try {
      process.chdir(dir);
      assert.equal(defaultSocketPath({}), '/run/ringcast/ringcast.sock');
      mkdirSync('var');
      writeFileSync('var/ringcast.sock', '');
      assert.equal(defaultSocketPath({}), './var/ringcast.sock');
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('selects HTTP from RINGCAST_URL and RINGCAST_API_KEY', () => {
    assert.equal(httpFromEnv({}), undefined);
    assert.equal(httpFromEnv({ RINGCAST_URL: '', RINGCAST_API_KEY: 'k' }), undefined);
    assert.deepEqual(httpFromEnv({ RINGCAST_URL: 'http://r:8080' }), { url: 'http://r:8080' });
    assert.deepEqual(httpFromEnv({ RINGCAST_URL: 'http://r:8080', RINGCAST_API_KEY: 'k' }), { url: 'http://r:8080', apiKey: 'k' });
    const saved = { url: process.env.RINGCAST_URL, key: process.env.RINGCAST_API_KEY, sock: process.env.RINGCAST_SOCKET };
    try {
      process.env.RINGCAST_URL = 'http://127.0.0.1:1/base/';
      process.env.RINGCAST_API_KEY = 'k';
      const viaEnv = new Ringcast(); // the env is read at first use
      assert.equal(viaEnv.client.kind, 'http');
      assert.equal(viaEnv.client.target, 'http://127.0.0.1:1/base');
      assert.equal(new Ringcast({ socketPath: '/tmp/x.sock' }).client.kind, 'socket'); // an explicit socket wins
      delete process.env.RINGCAST_URL;
      assert.equal(new Ringcast().client.kind, 'socket');
    } finally {
      for (const [name, value] of [['RINGCAST_URL', saved.url], ['RINGCAST_API_KEY', saved.key], ['RINGCAST_SOCKET', saved.sock]])
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
    }
  });

  it('refuses transport options that do not go together', () => {
    assert.throws(() => new Ringcast({ url: 'http://a:1', socketPath: '/x.sock' }), /not both/);
    assert.throws(() => new Ringcast({ apiKey: 'k' }), /give url too/);
    assert.throws(() => new Ringcast({ url: 'ftp://a' }), /must be http: or https:/);
    assert.throws(() => new Ringcast({ url: 'not a url' }), /is not a URL/);
    assert.throws(() => new Ringcast({ url: 'http://k:s@a:1' }), /apiKey, not in the url/);
    assert.throws(() => new Ringcast({ url: 'http://a:1', connections: 0 }), RangeError);
  });

  it('resolves a relative path against the working directory, at first use', () => {
    const saved = process.env.RINGCAST_SOCKET;
    delete process.env.RINGCAST_SOCKET;
    const client = new RingcastClient();
    process.env.RINGCAST_SOCKET = 'elsewhere/r.sock'; // set after construction: still counts
    try {
      assert.equal(client.socketPath, `${process.cwd()}/elsewhere/r.sock`);
      assert.equal(client.state, 'idle'); // nothing was opened
    } finally {
      if (saved === undefined) delete process.env.RINGCAST_SOCKET;
      else process.env.RINGCAST_SOCKET = saved;
    }
  });

  it('fills defaults and refuses nonsense', () => {
    const o = resolveOptions({});
    assert.deepEqual(
      { timeout: o.timeout, maxQueue: o.maxQueue, reconnectDelay: o.reconnectDelay, maxReconnectDelay: o.maxReconnectDelay },
      { timeout: 10000, maxQueue: 10000, reconnectDelay: 100, maxReconnectDelay: 5000 },
    );
    assert.throws(() => resolveOptions({ timeout: 0 }), RangeError);
    assert.throws(() => resolveOptions({ timeout: Infinity }), RangeError);
    assert.throws(() => resolveOptions({ reconnectDelay: 500, maxReconnectDelay: 100 }), RangeError);
  });
});

describe('RingcastError', () => {
  it('carries the daemon code and message', () => {
    const e = RingcastError.fromDaemon({ code: 'invalid_field', message: '"priority" must be an integer from 0 to 10' }, 'publish');
    assert.ok(e instanceof Error && e instanceof RingcastError);
    assert.equal(e.name, 'RingcastError');
    assert.equal(e.code, 'invalid_field');
    assert.equal(e.message, '"priority" must be an integer from 0 to 10');
    assert.equal(e.source, 'daemon');
    assert.equal(e.op, 'publish');
  });

  it('gives an HTTP 400 the socket code its reason names, and keeps status, reason and the retry delay', () => {
    const http = RingcastError.fromDaemon(
      { code: 'bad_request', reason: 'invalid_field', message: '"event" is required' },
      'publish',
      undefined,
      { status: 400 },
    );
    assert.deepEqual([http.code, http.reason, http.status], ['invalid_field', 'invalid_field', 400]);
    const plain = RingcastError.fromDaemon({ code: 'bad_request', message: 'malformed' }, 'publish', undefined, { status: 400 });
    assert.equal(plain.code, 'bad_request');
    const limited = RingcastError.fromDaemon(
      { code: 'rate_limited', reason: 'publisher_rate', message: 'too many' },
      'publish',
      undefined,
      { status: 429, retryAfterMs: 2000 },
    );
    assert.deepEqual([limited.code, limited.retryAfterMs, limited.reason], ['rate_limited', 2000, 'publisher_rate']);
    const socket = RingcastError.fromDaemon({ code: 'rate_limited', message: 'too many', retryAfterMs: 412 }, 'publish');
    assert.deepEqual([socket.code, socket.retryAfterMs, socket.status], ['rate_limited', 412, undefined]);
  });
});

describe('groupName', () => {
  it('reads the name from a group file, else says the number', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ringcast-group-'));
    try {
      const file = join(dir, 'group');
      writeFileSync(file, 'root:x:0:\nringcast:x:998:www-data,app\n');
      assert.equal(groupName(998, file), 'ringcast');
      assert.equal(groupName(0, file), 'root');
      assert.equal(groupName(12345, file), 'gid 12345');
      assert.equal(groupName(5, join(dir, 'absent')), 'gid 5');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('messages: what each seed operation publishes', () => {
  const now = 1_700_000_000_000;

  it('sendToast: "toast" on "toasts" to the user, with the seed defaults', () => {
    assert.deepEqual(messages.toast(42, 'Saved'), {
      channel: 'toasts',
      event: 'toast',
      data: { message: 'Saved', type: 'info', duration: 5000, dismissible: true },
      target: 'user-specific',
      targetUsers: [42],
    });
    assert.deepEqual(messages.toast('u1', 'Oops', 'error', { duration: 8000, dismissible: false }).data, {
      message: 'Oops',
      type: 'error',
      duration: 8000,
      dismissible: false,
    });
    assert.deepEqual(TOAST_DEFAULTS, { type: 'info', duration: 5000, dismissible: true });
  });

  it('notifyAdmins: role "admin" on "admin-actions"', () => {
    assert.deepEqual(messages.toAdmins('update', { type: 'quota-updated' }), {
      channel: 'admin-actions',
      event: 'update',
      data: { type: 'quota-updated' },
      target: 'role-based',
      targetRoles: ['admin'],
    });
  });

  it('options add fields but never retarget', () => {
    const m = messages.toUsers([1], 'chat', 'msg', 'x', { priority: 9, ttl: 30, target: 'all', targetUsers: [7] });
    assert.deepEqual(m, { priority: 9, ttl: 30, channel: 'chat', event: 'msg', data: 'x', target: 'user-specific', targetUsers: [1] });
  });

  it('triggerRefresh: "refresh" {key, reason, timestamp} to all, "live-updates" by default', () => {
    assert.deepEqual(messages.refresh('user-list', { channel: 'admin-actions', reason: 'user_status_update' }, now), {
      channel: 'admin-actions',
      event: 'refresh',
      data: { key: 'user-list', reason: 'user_status_update', timestamp: now },
      target: 'all',
    });
    assert.deepEqual(messages.refresh('k', undefined, now).channel, CHANNELS.refresh);
    assert.deepEqual(messages.refresh('k', undefined, now).data.reason, 'manual');
  });

  it('invalidateClientCaches: one "refresh" per channel, to the users or to all', () => {
    assert.deepEqual(messages.cacheInvalidation(['alerts', 'toasts'], null, now), [
      { channel: 'alerts', event: 'refresh', data: { reason: 'cache_invalidated', channel: 'alerts', timestamp: now }, target: 'all' },
      { channel: 'toasts', event: 'refresh', data: { reason: 'cache_invalidated', channel: 'toasts', timestamp: now }, target: 'all' },
    ]);
    assert.deepEqual(messages.cacheInvalidation(['alerts'], [5, 'x'], now)[0], {
      channel: 'alerts',
      event: 'refresh',
      data: { reason: 'cache_invalidated', channel: 'alerts', timestamp: now },
      target: 'user-specific',
      targetUsers: [5, 'x'],
    });
    assert.equal(messages.cacheInvalidation(['alerts'], [], now)[0].target, 'all');
  });

  it('invalidateCache: the lists given are sent as they are, null and undefined left out', () => {
    assert.deepEqual(messages.invalidation(['alerts'], null), { channels: ['alerts'] });
    assert.deepEqual(messages.invalidation(null, [42, 'x']), { users: [42, 'x'] });
    assert.deepEqual(messages.invalidation(['a', 'b'], ['7']), { channels: ['a', 'b'], users: ['7'] });
    // Empty lists go to the daemon, which names what is missing.
    assert.deepEqual(messages.invalidation([], undefined), { channels: [] });
    assert.deepEqual(messages.invalidation(undefined, undefined), {});
    const channels = ['a'];
    messages.invalidation(channels, null).channels.push('b');
    assert.deepEqual(channels, ['a'], "the caller's array is copied");
  });

  it('notifications: "notification" on "notifications", type and timestamp filled in', () => {
    assert.deepEqual(messages.userNotification(3, messages.shorthand('success', 'Done', 'Title'), now), {
      channel: 'notifications',
      event: 'notification',
      data: { type: 'success', title: 'Title', message: 'Done', timestamp: now },
      target: 'user-specific',
      targetUsers: [3],
    });
    assert.deepEqual(messages.broadcastNotification({ message: 'Hi', data: { a: 1 } }, now), {
      channel: 'notifications',
      event: 'notification',
      data: { message: 'Hi', data: { a: 1 }, type: 'info', timestamp: now },
      target: 'all',
    });
  });

  it('system events: "system" {event, data, timestamp} on "system"', () => {
    assert.deepEqual(messages.userSystemEvent('9', { event: 'user_profile_updated', data: { profileId: '123' } }, now), {
      channel: 'system',
      event: 'system',
      data: { event: 'user_profile_updated', data: { profileId: '123' }, timestamp: now },
      target: 'user-specific',
      targetUsers: ['9'],
    });
    assert.deepEqual(messages.broadcastSystemEvent({ event: 'server_maintenance' }, now).data, {
      event: 'server_maintenance',
      data: null,
      timestamp: now,
    });
  });
});
