// The alerts operations (docs/alerts.md) against the real daemon and its
// alerts.db, over the socket and over HTTP with the same answers and the same
// errors: CRUD, refusals naming their field, a version conflict carrying the
// current alert, preview, and the stream events a change and the seeds'
// notifyAlertUpdate / clearAllAlertCaches send. One daemon for both transports:
// each test removes what it created, so lists start empty.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';

import { Ringcast, RingcastError } from '../dist/esm/index.js';
import { startDaemon } from './helpers/daemon.mjs';
import { apiKeyConfig, TEST_API_KEY } from './helpers/http.mjs';
import { Subscriber } from './helpers/sse.mjs';

describe('alerts', { timeout: 60_000 }, () => {
  let daemon;
  const transports = {};
  before(async () => {
    daemon = await startDaemon({ config: apiKeyConfig() });
    transports.socket = new Ringcast({ socketPath: daemon.socketPath, timeout: 5000 });
    transports.http = new Ringcast({ url: `http://127.0.0.1:${daemon.port}`, apiKey: TEST_API_KEY, timeout: 5000 });
  });
  afterEach(async () => {
    const rc = transports.socket;
    for (const a of (await rc.listAlerts({ limit: 500 })).alerts) await rc.deleteAlert(a.id);
  });
  after(async () => {
    for (const rc of Object.values(transports)) await rc.close();
    await daemon?.stop();
  });

  const refusal = (code, field) => (error) => {
    assert.ok(error instanceof RingcastError, String(error));
    assert.equal(error.source, 'daemon');
    assert.equal(error.code, code, error.message);
    if (field !== undefined) assert.equal(error.field, field);
    return true;
  };

  for (const kind of ['socket', 'http']) {
    describe(`over ${kind}`, () => {
      const rc = () => transports[kind];

      it('create, get, list, update, patch, delete', async () => {
        const created = await rc().createAlert({
          title: 'Maintenance',
          message: 'at 22:00',
          alert_type: 'warning',
          priority: 8,
          actions: [{ label: 'Status', url: 'https://status.example.com', style: 'link' }],
          metadata: { customType: 'maintenance' },
        });
        assert.equal(created.title, 'Maintenance');
        assert.equal(created.version, 1);
        assert.equal(created.created_by, kind === 'socket' ? 'socket' : 'api-key');
        assert.deepEqual(await rc().getAlert(created.id), created);
        assert.equal(await rc().getAlert(created.id + 1000), undefined);

        const list = await rc().listAlerts({ active: true, type: 'warning' });
        assert.deepEqual(list, { alerts: [created], total: 1, offset: 0, limit: 50 });
        assert.equal((await rc().listAlerts({ type: 'info' })).total, 0);

        const updated = await rc().updateAlert(created.id, { title: 'Moved' }, 1);
        assert.equal(updated.version, 2);
        assert.equal(updated.alert_type, 'info', 'PUT: what is left out takes its default');
        const patched = await rc().patchAlert(created.id, { priority: 1, icon: 'wrench' }, 2);
        assert.equal(patched.version, 3);
        assert.equal(patched.title, 'Moved');
        assert.equal(patched.priority, 1);
        const reset = await rc().patchAlert(created.id, { icon: null }, 3);
        assert.equal(reset.icon, undefined);

        assert.deepEqual(await rc().deleteAlert(created.id, 4), { id: created.id, deleted: true });
        assert.equal(await rc().getAlert(created.id), undefined);
        await assert.rejects(rc().deleteAlert(created.id), refusal('not_found'));
      });

      it('a stale version is version_conflict with the current alert', async () => {
        const a = await rc().createAlert({ title: 'one' });
        const b = await rc().patchAlert(a.id, { title: 'two' }, 1);
        await assert.rejects(rc().updateAlert(a.id, { title: 'three' }, 1), (error) => {
          refusal('version_conflict')(error);
          assert.deepEqual(error.current, b);
          return true;
        });
        await assert.rejects(rc().deleteAlert(a.id, 1), refusal('version_conflict'));
      });

      it('refusals name the field', async () => {
        await assert.rejects(rc().createAlert({ title: '' }), refusal('invalid_field', 'title'));
        await assert.rejects(
          rc().createAlert({ title: 'x', actions: [{ label: 'go', url: 'javascript:go()' }] }),
          refusal('invalid_field', 'actions[0].url'),
        );
        await assert.rejects(rc().createAlert({ title: 'x', priority: 11 }), refusal('invalid_field', 'priority'));
        await assert.rejects(rc().previewAlert({ title: 'x', target: 'nobody' }), refusal('invalid_field', 'target'));
      });

      it('preview counts the streams on the alerts channel', async () => {
        const sub = await Subscriber.open(daemon.port, ['alerts']);
        try {
          assert.deepEqual(await rc().previewAlert({ title: 'x' }), { streams: 1, users: 0 });
          assert.deepEqual(await rc().previewAlert({ title: 'x', target: 'authenticated' }), {
            streams: 0,
            users: 0,
          });
        } finally {
          sub.close();
        }
      });

      it('a created alert reaches the stream; notifyAlertUpdate and clearAllAlertCaches refresh it', async () => {
        const sub = await Subscriber.open(daemon.port, ['alerts']);
        try {
          assert.equal((await sub.nextNamed('alerts')).data, '[]');
          const a = await rc().createAlert({ title: `hello ${kind}` });
          assert.equal(JSON.parse((await sub.nextNamed('alert')).data).id, a.id);
          assert.deepEqual(
            JSON.parse((await sub.nextNamed('alerts-update')).data).map((x) => x.id),
            [a.id],
          );
          await rc().notifyAlertUpdate();
          assert.equal(JSON.parse((await sub.nextNamed('alerts-refresh')).data).reason, 'admin_update');
          await rc().refreshAlerts('schema changed');
          assert.equal(JSON.parse((await sub.nextNamed('alerts-refresh')).data).reason, 'schema changed');
          await rc().clearAllAlertCaches();
          assert.equal(JSON.parse((await sub.nextNamed('alerts-refresh')).data).reason, 'cache_cleared');
        } finally {
          sub.close();
        }
      });

      it('scheduleMaintenanceAlert stores the seeds\' maintenance notice until it ends', async () => {
        const when = new Date(Date.now() + 3_600_000);
        const a = await rc().scheduleMaintenanceAlert(when, 30, ['api']);
        assert.equal(a.title, 'Scheduled Maintenance');
        assert.equal(a.alert_type, 'warning');
        assert.equal(a.dismissible, false);
        assert.equal(Date.parse(a.expires_at), when.getTime() + 30 * 60_000);
        assert.deepEqual(a.metadata, {
          customType: 'maintenance',
          customData: { scheduledTime: when.toISOString(), affectedServices: ['api'], duration: 30 },
        });
      });
    });
  }

  it('alerts switched off: not_configured over both transports', async () => {
    const off = await startDaemon({ config: apiKeyConfig('[alerts]\nenabled = false\n') });
    const both = [
      new Ringcast({ socketPath: off.socketPath, timeout: 5000 }),
      new Ringcast({ url: `http://127.0.0.1:${off.port}`, apiKey: TEST_API_KEY, timeout: 5000 }),
    ];
    try {
      for (const rc of both) await assert.rejects(rc.listAlerts(), refusal('not_configured'));
    } finally {
      for (const rc of both) await rc.close();
      await off.stop();
    }
  });
});
