// Identity for the browser's stream, the two ways docs/clients.md describes:
// - createStreamToken: ringcastd signs a short-lived token for a user (socket
//   op `token`, POST /api/tokens), which the browser presents as the
//   ringcast_token cookie; the per-user calls then reach that stream;
// - an app that signs its own JWT with `jose` (HS256, the secret in the file
//   ringcastd's [auth] secret_file names): the docs' example, run for real.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { SignJWT } from 'jose';

import { Ringcast } from '../dist/esm/index.js';
import { startDaemon, tempDir } from './helpers/daemon.mjs';
import { apiKeyConfig, TEST_API_KEY } from './helpers/http.mjs';
import { Subscriber } from './helpers/sse.mjs';

describe('createStreamToken', { timeout: 60_000 }, () => {
  let daemon;
  const transports = {};
  before(async () => {
    // The built-in configuration plus an API key: tokens need no [auth] setup.
    daemon = await startDaemon({ config: apiKeyConfig() });
    transports.socket = new Ringcast({ socketPath: daemon.socketPath, timeout: 5000 });
    transports.http = new Ringcast({ url: `http://127.0.0.1:${daemon.port}`, apiKey: TEST_API_KEY, timeout: 5000 });
  });
  after(async () => {
    for (const rc of Object.values(transports)) await rc.close();
    await daemon?.stop();
  });

  for (const kind of ['socket', 'http']) {
    it(`over ${kind}: a token the browser's stream presents as the ringcast_token cookie`, async () => {
      const rc = transports[kind];
      const user = `token-user-${kind}`;
      const before = Date.now();
      const { token, expiresAt } = await rc.createStreamToken(user, { roles: ['admin'], ttl: 600 });
      assert.equal(typeof token, 'string');
      assert.equal(token.split('.').length, 3);
      assert.ok(expiresAt >= before + 590_000 && expiresAt <= Date.now() + 610_000, `expiresAt ${expiresAt}`);

      const stream = await Subscriber.open(daemon.port, ['toasts', 'admin-actions'], { token, tokenIn: 'cookie' });
      assert.equal(stream.connected.userId, user);
      assert.equal((await rc.sendToast(user, 'signed by ringcastd', 'success')).sent, 1);
      assert.equal((await stream.nextNamed('toast')).json().message, 'signed by ringcastd');
      assert.equal((await rc.notifyAdmins('audit', { by: kind })).sent, 1); // the roles claim counts
      assert.deepEqual((await stream.nextNamed('audit')).json(), { by: kind });
      stream.close();
    });
  }

  it('permissions and subscriber reach the streams that hold them; an anonymous stream gets none', async () => {
    const rc = transports.http;
    const { token } = await rc.createStreamToken(7, { permissions: ['dashboard.view'], subscriber: true });
    const dashboard = await Subscriber.open(daemon.port, undefined, { path: '/api/dashboard/sse', token, tokenIn: 'query' });
    assert.equal(dashboard.connected.userId, '7');
    // live-updates is closed to streams without the permission, on every endpoint.
    await assert.rejects(Subscriber.open(daemon.port, ['live-updates']), { status: 403 });
    const kpis = await Subscriber.open(daemon.port, ['kpis'], { token, tokenIn: 'query' });
    const anonymous = await Subscriber.open(daemon.port, ['kpis']);
    const r = await rc.sendMessage({ channel: 'live-updates', event: 'kpi', data: 1, targetPermissions: ['dashboard.view'] });
    assert.equal(r.sent, 1);
    assert.equal((await dashboard.nextNamed('kpi')).data, '1');
    const s = await rc.sendMessage({ channel: 'kpis', event: 'kpi', data: 2, target: 'subscribers' });
    assert.equal(s.sent, 1);
    assert.equal((await kpis.nextNamed('kpi')).data, '2');
    await rc.broadcastToChannel('kpis', 'fence', 0);
    assert.deepEqual((await anonymous.until((e) => e.event === 'fence')).filter((e) => e.event === 'kpi'), []);
    dashboard.close();
    kpis.close();
    anonymous.close();
  });

  it('a refused request is `invalid_field` on both transports', async () => {
    for (const rc of Object.values(transports))
      await assert.rejects(rc.createStreamToken('', {}), { code: 'invalid_field', source: 'daemon' });
  });
});

describe('an app that signs its own tokens with jose', { timeout: 60_000 }, () => {
  let daemon;
  let dir;
  let secretFile;
  const secret = 'an-hs256-secret-of-at-least-32-bytes-for-jose';
  before(async () => {
    dir = tempDir();
    secretFile = join(dir, 'jwt-secret');
    writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 }); // one trailing newline, as `openssl rand` writes
    daemon = await startDaemon({
      config: `[auth]\nalgorithm = "HS256"\nsecret_file = ${JSON.stringify(secretFile)}\n`,
    });
  });
  after(async () => {
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a token signed as docs/clients.md shows opens a stream as its user', async () => {
    // docs/clients.md, "Signing your own tokens": the same calls.
    let key = readFileSync(secretFile); // the bytes ringcastd reads, one trailing newline stripped
    if (key.at(-1) === 0x0a) key = key.subarray(0, -1);
    const token = await new SignJWT({ roles: ['admin'], permissions: ['dashboard.view'] })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject('user-42')
      .setIssuedAt()
      .setExpirationTime('15m')
      .sign(key);
    const stream = await Subscriber.open(daemon.port, ['toasts', 'admin-actions'], { token, tokenIn: 'cookie' });
    assert.equal(stream.connected.userId, 'user-42');
    const rc = new Ringcast({ socketPath: daemon.socketPath, timeout: 5000 });
    try {
      assert.equal((await rc.sendToast('user-42', 'hello', 'info')).sent, 1);
      assert.equal((await stream.nextNamed('toast')).json().message, 'hello');
      assert.equal((await rc.notifyAdmins('audit', 1)).sent, 1);
    } finally {
      stream.close();
      await rc.close();
    }
    // Signed with another secret: refused.
    const forged = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setExpirationTime('15m')
      .sign(new TextEncoder().encode('another-secret-another-secret-another-secret'));
    await assert.rejects(Subscriber.open(daemon.port, ['toasts'], { token: forged, tokenIn: 'cookie' }), { status: 401 });
  });
});
