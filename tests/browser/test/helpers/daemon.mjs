// Runs the real ringcastd for a browser test: the Node client's test helper
// (clients/node/test/helpers/daemon.mjs: temp data dir, port, readiness, stop)
// with a random API key, and what the browser tests add to it: the base URL
// and the HTTP API with the key. A given data dir restarts a daemon where its
// pages expect it. The pages are the ones built into the binary unless the
// configuration sets [web] root.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startDaemon as startRingcastd } from '../../../../clients/node/test/helpers/daemon.mjs';

export { ringcastdPath } from '../../../../clients/node/test/helpers/daemon.mjs';

/**
 * Starts ringcastd. `dataDir`: reuse this one (and its api-key file) instead of
 * a new temp dir. `http`: the --http address (default 127.0.0.1:0).
 * Resolves with { pid, port, base, apiKey, dataDir, exited, log(), api(), stop(), kill(signal) }.
 */
export async function startDaemon({ config, http = '127.0.0.1:0', dataDir, apiKey } = {}) {
  const ownDir = dataDir === undefined;
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'ringcast-browser-'));
  const key = apiKey ?? randomBytes(32).toString('hex');
  const keyFile = join(dir, 'api-key');
  writeFileSync(keyFile, key + '\n', { mode: 0o600 });
  let d;
  try {
    d = await startRingcastd({ config, http, dataDir: dir, args: ['--api-key-file', keyFile] });
  } catch (error) {
    if (ownDir) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const base = `http://127.0.0.1:${d.port}`;
  return {
    ...d,
    base,
    apiKey: key,
    /** The HTTP API with the API key: resolves with {status, body}. */
    async api(method, path, body) {
      const res = await fetch(base + path, {
        method,
        headers: { 'X-API-Key': key, ...(body !== undefined && { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let json;
      try {
        json = JSON.parse(text);
      } catch {
        json = text;
      }
      return { status: res.status, body: json };
    },
    /** As the helper's stop; the temp dir made here is removed unless keepDir. */
    async stop({ keepDir = false } = {}) {
      const status = await d.stop({ keepDir: true });
      if (ownDir && !keepDir) rmSync(dir, { recursive: true, force: true });
      return status;
    },
  };
}
