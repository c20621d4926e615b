// The package as an app gets it: `npm pack`, installed into a fresh app
// directory (offline where the npm cache has what it needs: undici comes from
// the cache `npm ci` filled), then an ESM and a CommonJS script there publish
// to the real daemon over the socket and over HTTP.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { startDaemon, tempDir } from './helpers/daemon.mjs';
import { apiKeyConfig, TEST_API_KEY } from './helpers/http.mjs';
import { Subscriber } from './helpers/sse.mjs';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

// npm passes its own settings to the scripts it runs (npm_config_*): the app's
// install gets a clean environment but for the cache.
function npmEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('npm_')) env[k] = v;
  if (process.env.npm_config_cache) env.npm_config_cache = process.env.npm_config_cache;
  return env;
}

const ESM_APP = `
import { Ringcast, RingcastError, sseManager } from '@ringcast/node';
const out = { resolved: import.meta.resolve('@ringcast/node'), errorClass: typeof RingcastError };
const socket = new Ringcast({ socketPath: process.env.SOCKET });
out.socket = await socket.broadcastToChannel('packed', 'esm-socket', { via: 'socket' });
const http = new Ringcast({ url: process.env.URL, apiKey: process.env.KEY });
out.http = await http.broadcastToChannel('packed', 'esm-http', { via: 'http' });
out.defaultKind = sseManager.client.kind;
console.log(JSON.stringify(out));
`;

const CJS_APP = `
const { Ringcast, RingcastError } = require('@ringcast/node');
(async () => {
  const out = { resolved: require.resolve('@ringcast/node'), errorClass: typeof RingcastError };
  const socket = new Ringcast({ socketPath: process.env.SOCKET });
  out.socket = await socket.broadcastToChannel('packed', 'cjs-socket', { via: 'socket' });
  const http = new Ringcast({ url: process.env.URL, apiKey: process.env.KEY });
  out.http = await http.broadcastToChannel('packed', 'cjs-http', { via: 'http' });
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
`;

describe('the packed package in a fresh app', { timeout: 180_000 }, () => {
  let dir;
  let daemon;
  let tarball;
  let files;
  before(async () => {
    assert.ok(existsSync(join(root, 'dist/cjs/index.js')), 'dist/ is built (npm test builds it first)');
    dir = tempDir();
    // prepack would rebuild dist/ under the other test files: it was just built.
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
      cwd: root,
      env: npmEnv(),
    });
    const [packed] = JSON.parse(stdout);
    tarball = join(dir, packed.filename);
    files = packed.files.map((f) => f.path);
    daemon = await startDaemon({ config: apiKeyConfig() });
  });
  after(async () => {
    await daemon?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('packs the builds, the license and the sources, and nothing of the repository around them', () => {
    for (const f of ['package.json', 'LICENSE', 'README.md', 'dist/esm/index.js', 'dist/esm/index.d.ts', 'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/cjs/package.json', 'src/index.ts'])
      assert.ok(files.includes(f), `${f} is packed`);
    assert.deepEqual(files.filter((f) => /^(test|scripts|node_modules)\//.test(f) || f.startsWith('tsconfig')), []);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    assert.equal(pkg.license, 'Apache-2.0');
    assert.equal(pkg.private, undefined);
    assert.equal(pkg.scripts.prepare, undefined, 'nothing is built on install');
    assert.deepEqual(Object.keys(pkg.dependencies), ['undici']);
  });

  it('installs into an app and runs there, as ESM and as CommonJS, over the socket and HTTP', async () => {
    const app = join(dir, 'app');
    await run('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'packed-app', version: '1.0.0', private: true }));
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: app, env: npmEnv(), timeout: 120_000 });
    const installed = join(app, 'node_modules/@ringcast/node');
    assert.ok(existsSync(join(installed, 'LICENSE')));
    assert.ok(existsSync(join(app, 'node_modules/undici/package.json')), 'its dependency came along');
    assert.ok(!existsSync(join(app, 'node_modules/typescript')), 'no development dependency');

    writeFileSync(join(app, 'esm.mjs'), ESM_APP);
    writeFileSync(join(app, 'cjs.cjs'), CJS_APP);
    const sub = await Subscriber.open(daemon.port, ['packed']);
    const env = {
      ...npmEnv(),
      SOCKET: daemon.socketPath,
      URL: `http://127.0.0.1:${daemon.port}`,
      KEY: TEST_API_KEY,
      RINGCAST_URL: `http://127.0.0.1:${daemon.port}`,
    };
    for (const [script, kind, build] of [
      ['esm.mjs', 'esm', 'dist/esm/index.js'],
      ['cjs.cjs', 'cjs', 'dist/cjs/index.js'],
    ]) {
      const { stdout } = await run(process.execPath, [script], { cwd: app, env, timeout: 20_000 });
      const out = JSON.parse(stdout);
      assert.ok(String(out.resolved).endsWith(`node_modules/@ringcast/node/${build}`), `${kind} resolved ${out.resolved}`);
      assert.equal(out.errorClass, 'function');
      for (const via of ['socket', 'http']) {
        assert.deepEqual([out[via].sent, out[via].failed], [1, 0], `${kind} over ${via}`);
        const e = await sub.nextNamed(`${kind}-${via}`);
        assert.deepEqual(e.json(), { via });
        assert.equal(e.id, out[via].id);
      }
      if (kind === 'esm') assert.equal(out.defaultKind, 'http'); // RINGCAST_URL
    }
    sub.close();
  });
});
