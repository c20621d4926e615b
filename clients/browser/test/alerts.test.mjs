// The client's alerts model: the list the daemon pushes (alerts,
// alerts-update, alert, alerts-refresh), in the order it is shown, and
// dismissals: through the daemon for a signed-in stream, in localStorage
// otherwise, seen by the other tabs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { byPriority, SSEClient } from '@ringcast/browser';

import { FakeTab, flush, memoryStorage, refusal } from './helpers/fake-browser.mjs';

const alert = (id, priority = 5, extra = {}) => ({ id, title: `alert ${id}`, alert_type: 'info', priority, dismissible: true, persistent: false, ...extra });

async function withAlerts(options = {}, { userId = null, fetch, localStorage } = {}) {
  const tab = new FakeTab(null, { fetch, localStorage });
  const client = new SSEClient({ shared: false, channels: ['alerts'], env: tab.env, ...options });
  client.connect();
  await flush();
  tab.source.open();
  tab.source.emit('connected', { connectionId: 'c1-1', userId, channels: ['alerts'] });
  return { tab, client };
}

describe('alerts', () => {
  it('keeps the list of `alerts`, replaced by `alerts-update`, higher priority first, then newer', async () => {
    const { tab, client } = await withAlerts();
    const versions = [];
    client.subscribe(() => versions.push(client.alerts.length));
    tab.source.emit('alerts', [alert(1, 5), alert(2, 9), alert(3, 5)]);
    assert.deepEqual(
      client.alerts.map((a) => a.id),
      [2, 3, 1],
    );
    tab.source.emit('alerts-update', [alert(1, 5)]);
    assert.deepEqual(
      client.alerts.map((a) => a.id),
      [1],
    );
    tab.source.emit('alerts-update', { not: 'a list' });
    assert.deepEqual(
      client.alerts.map((a) => a.id),
      [1],
      'ignored',
    );
    assert.ok(versions.length >= 3, 'subscribers are told');
  });

  it('`alert` adds an alert or replaces the one with its id', async () => {
    const { tab, client } = await withAlerts();
    tab.source.emit('alerts', [alert(1), alert(2)]);
    tab.source.emit('alert', alert(2, 10, { title: 'edited' }));
    tab.source.emit('alert', alert(7, 1));
    assert.deepEqual(
      client.alerts.map((a) => [a.id, a.title]),
      [
        [2, 'edited'],
        [1, 'alert 1'],
        [7, 'alert 7'],
      ],
    );
  });

  it('`alerts-refresh` fetches GET /api/alerts/active with the stream credentials', async () => {
    const { tab, client } = await withAlerts(
      { url: 'https://rc.example.com/edge/api/sse/stream', token: () => 'tok' },
      { fetch: async () => Response.json({ alerts: [alert(5)], timestamp: 1 }) },
    );
    const updates = [];
    client.addEventListener('alerts-update', (d) => updates.push(d.length));
    tab.source.emit('alerts-refresh', { reason: 'admin_update', timestamp: 1 });
    await flush();
    assert.equal(tab.requests[0].url, 'https://rc.example.com/edge/api/alerts/active', 'the API beside the stream');
    assert.equal(tab.requests[0].init.headers.authorization, 'Bearer tok');
    assert.equal(tab.requests[0].init.credentials, 'include');
    assert.deepEqual(
      client.alerts.map((a) => a.id),
      [5],
    );
    assert.deepEqual(updates, [1], 'as an alerts-update event');
  });

  it('a signed-in user dismisses through the daemon: POST /api/alerts/{id}/dismiss, JSON, with the credentials', async () => {
    const storage = memoryStorage();
    const { tab, client } = await withAlerts({ apiBase: '/base' }, { userId: '42', localStorage: storage, fetch: async () => Response.json({ id: 2, dismissed: true }) });
    assert.equal(client.userId, '42');
    tab.source.emit('alerts', [alert(1), alert(2)]);
    const done = client.dismissAlert(2);
    assert.deepEqual(
      client.alerts.map((a) => a.id),
      [1],
      'gone at once',
    );
    await done;
    const [{ url, init }] = tab.requests;
    assert.equal(url, '/base/api/alerts/2/dismiss');
    assert.equal(init.method, 'POST');
    assert.equal(init.headers['content-type'], 'application/json');
    assert.equal(init.credentials, 'include');
    assert.equal(storage.getItem('ringcast:dismissed'), null, 'nothing kept locally');
  });

  it('an anonymous visitor dismisses in localStorage; the alert stays hidden when the list comes again', async () => {
    const storage = memoryStorage();
    const { tab, client } = await withAlerts({}, { localStorage: storage });
    tab.source.emit('alerts', [alert(1), alert(2)]);
    await client.dismissAlert(1);
    assert.equal(tab.requests.length, 0, 'no request without a user');
    assert.equal(storage.getItem('ringcast:dismissed'), '[1]');
    tab.source.emit('alerts', [alert(1), alert(2), alert(3)]);
    assert.deepEqual(
      client.alerts.map((a) => a.id),
      [3, 2],
    );
  });

  it('falls back to localStorage when the daemon refuses, and an automatic dismissal never asks it', async () => {
    const storage = memoryStorage();
    const { tab, client } = await withAlerts({}, { userId: '42', localStorage: storage, fetch: async () => refusal(403, 'not_dismissible', undefined, 'no') });
    tab.source.emit('alerts', [alert(1), alert(2)]);
    await client.dismissAlert(1);
    assert.equal(storage.getItem('ringcast:dismissed'), '[1]');
    await client.dismissAlert(2, 'auto');
    assert.equal(tab.requests.length, 1);
    assert.equal(storage.getItem('ringcast:dismissed'), '[1,2]');
  });

  it('sees dismissals made in another tab (the storage event)', async () => {
    const storage = memoryStorage();
    const { tab, client } = await withAlerts({}, { localStorage: storage });
    tab.source.emit('alerts', [alert(1), alert(2)]);
    storage.setItem('ringcast:dismissed', '[2]');
    tab.storageEvent('something-else');
    assert.equal(client.alerts.length, 2);
    tab.storageEvent('ringcast:dismissed');
    assert.deepEqual(
      client.alerts.map((a) => a.id),
      [1],
    );
  });

  it('survives a missing, full or garbled localStorage', async () => {
    const broken = {
      getItem: () => '{garbage',
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    const { tab, client } = await withAlerts({}, { localStorage: broken });
    tab.source.emit('alerts', [alert(1)]);
    await client.dismissAlert(1);
    assert.deepEqual(client.alerts, []);
  });

  it('byPriority orders by priority, then the newer (larger id) first', () => {
    assert.deepEqual(
      [alert(1, 5), alert(2, 5), alert(3, 8)].sort(byPriority).map((a) => a.id),
      [3, 2, 1],
    );
  });
});
