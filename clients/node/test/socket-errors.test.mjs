// A client that has never reached its daemon and cannot connect fails at once
// with an error that says what to change: the path, RINGCAST_SOCKET, and for a
// permission problem the group to join (it used to wait out its 10 s deadline
// and say `timeout`).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { Ringcast } from '../dist/esm/index.js';
import { startDaemon, tempDir } from './helpers/daemon.mjs';
import { within } from './helpers/wait.mjs';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

describe('a socket that cannot be used fails fast', { timeout: 60_000 }, () => {
  const cleanup = [];
  after(async () => {
    for (const f of cleanup.reverse()) await f();
  });

  it('no socket file: `unreachable` at once, naming the path and RINGCAST_SOCKET', async () => {
    const dir = tempDir();
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'absent.sock');
    const rc = new Ringcast({ socketPath: path, timeout: 10_000 });
    cleanup.push(() => rc.close());
    const started = Date.now();
    const calls = [rc.ping(), rc.broadcastToChannel('a', 'b', 1), rc.getStats()];
    for (const call of calls)
      await assert.rejects(call, (e) => {
        assert.equal(e.code, 'unreachable');
        assert.match(e.message, new RegExp(`no socket at ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(ENOENT\\)`));
        assert.match(e.message, /RINGCAST_SOCKET/);
        return true;
      });
    assert.ok(Date.now() - started < 2000, `failed after ${Date.now() - started} ms, not at once`);
  });

  it('a socket file nobody listens on: `unreachable`, saying it is stale', async () => {
    const dir = tempDir();
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'stale.sock');
    // Bound, never listening: what a daemon killed with SIGKILL leaves behind.
    execFileSync('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', path]);
    const rc = new Ringcast({ socketPath: path, timeout: 10_000 });
    cleanup.push(() => rc.close());
    await assert.rejects(rc.ping(), (e) => {
      assert.equal(e.code, 'unreachable');
      assert.equal(e.cause?.code, 'ECONNREFUSED');
      assert.match(e.message, /nothing listens on .*stale\.sock \(ECONNREFUSED\)/);
      assert.match(e.message, /RINGCAST_SOCKET/);
      return true;
    });
  });

  // Root passes every permission check: the client runs as nobody, in a child.
  it('a socket this user may not open: `permission_denied`, naming the socket group to join', { skip: !isRoot && 'needs root to run a client as another user' }, async () => {
    const dir = tempDir();
    chmodSync(dir, 0o755); // the directory is open: the socket's own mode decides
    const socketPath = join(dir, 'ringcast.sock');
    const daemon = await startDaemon({ socketPath, config: '[server]\nunix_group = "daemon"\nunix_mode = "0660"\n' });
    cleanup.push(() => daemon.stop());
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const index = fileURLToPath(new URL('../dist/esm/index.js', import.meta.url));
    const script = `
      import { Ringcast } from ${JSON.stringify(index)};
      const rc = new Ringcast({ socketPath: ${JSON.stringify(socketPath)}, timeout: 10000 });
      const started = Date.now();
      try { await rc.ping(); console.log(JSON.stringify({ ok: true })); }
      catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message, ms: Date.now() - started })); }
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      uid: 65534,
      gid: 65534,
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const code = await within(new Promise((r) => child.on('exit', r)), 10_000, 'the client run as nobody');
    assert.equal(code, 0, err);
    const result = JSON.parse(out);
    assert.equal(result.code, 'permission_denied', out);
    assert.ok(result.ms < 2000, `failed after ${result.ms} ms, not at once`);
    assert.ok(result.message.includes(socketPath), result.message);
    assert.match(result.message, /group daemon/);
    assert.match(result.message, /mode 0660/);
    assert.match(result.message, /usermod -aG daemon/);
    assert.match(result.message, /RINGCAST_SOCKET/);
  });

  it('a directory on the way that this user may not enter is named', { skip: !isRoot && 'needs root to run a client as another user' }, async () => {
    const dir = tempDir(); // 0700, owned by root
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const daemon = await startDaemon({ socketPath: join(dir, 'ringcast.sock') });
    cleanup.push(() => daemon.stop());
    const index = fileURLToPath(new URL('../dist/esm/index.js', import.meta.url));
    const script = `
      import { Ringcast } from ${JSON.stringify(index)};
      try { await new Ringcast({ socketPath: ${JSON.stringify(daemon.socketPath)} }).ping(); }
      catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { uid: 65534, gid: 65534, cwd: '/', timeout: 10_000 });
    const result = JSON.parse(String(out));
    assert.equal(result.code, 'permission_denied');
    assert.ok(result.message.includes(`may not enter ${dir} (owner uid 0, group root, mode 0700)`), result.message);
  });
});
