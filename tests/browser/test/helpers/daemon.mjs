// Runs the real ringcastd for a browser test: a temp data dir (or a given one,
// to restart a daemon where its pages expect it), HTTP on a port the kernel
// picks (or a given address), a random API key, and optionally a
// configuration (TOML text). Ready when its log names the HTTP address and the
// publishing socket. The pages are the ones built into the binary unless the
// configuration sets [web] root.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const READY_MS = 15_000;
const STOP_MS = 15_000;

export function ringcastdPath() {
  const bin = process.env.RINGCASTD;
  if (!bin)
    throw new Error(
      'RINGCASTD is not set: it must name the ringcastd binary ' +
        '(meson test sets it; by hand: RINGCASTD=$PWD/../../build/src/ringcastd npm test)',
    );
  if (!existsSync(bin)) throw new Error(`RINGCASTD=${bin}: no such file (build the daemon first)`);
  return bin;
}

/**
 * Starts ringcastd. `dataDir`: reuse this one (and its api-key file) instead of
 * a new temp dir. `http`: the --http address (default 127.0.0.1:0).
 * Resolves with { pid, port, base, apiKey, dataDir, log(), stop(), kill(signal) }.
 */
export async function startDaemon({ config, http = '127.0.0.1:0', dataDir, apiKey } = {}) {
  const bin = ringcastdPath();
  const ownDir = dataDir === undefined;
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'ringcast-browser-'));
  const key = apiKey ?? randomBytes(32).toString('hex');
  const keyFile = join(dir, 'api-key');
  writeFileSync(keyFile, key + '\n', { mode: 0o600 });
  const args = ['--http', http, '--data-dir', dir, '--unix', join(dir, 'ringcast.sock'), '--api-key-file', keyFile];
  if (config !== undefined) {
    const file = join(dir, 'ringcast.toml');
    writeFileSync(file, config);
    args.push('--config', file);
  }
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise((resolve, reject) => {
    let port;
    let sock;
    // stderr is read for the daemon's whole life, or a full pipe would stall it.
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      log += chunk;
      if (log.length > 1 << 20) log = log.slice(-(1 << 19));
      port ??= log.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/)?.[1];
      sock ??= log.match(/publishing socket: (\S+) \(mode/)?.[1];
      if (port && sock) resolve(Number(port));
    });
    exited.then(({ code, signal }) =>
      reject(new Error(`ringcastd exited before it was ready (code ${code}, signal ${signal}):\n${log}`)),
    );
    child.once('error', reject);
  });
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`ringcastd not ready within ${READY_MS} ms:\n${log}`)), READY_MS);
  });
  let port;
  try {
    port = await Promise.race([ready, deadline]);
  } catch (error) {
    child.kill('SIGKILL');
    if (ownDir) rmSync(dir, { recursive: true, force: true });
    throw error;
  } finally {
    clearTimeout(timer);
  }
  const base = `http://127.0.0.1:${port}`;
  let stopping;
  return {
    pid: child.pid,
    port,
    base,
    apiKey: key,
    dataDir: dir,
    exited,
    log: () => log,
    /** A signal to the daemon (SIGKILL, SIGSTOP, SIGCONT). */
    kill(signal) {
      process.kill(child.pid, signal);
    },
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
    /** SIGTERM (SIGCONT first, in case a test left it stopped), then wait for the exit. */
    stop({ keepDir = false } = {}) {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          process.kill(child.pid, 'SIGCONT');
          process.kill(child.pid, 'SIGTERM');
        }
        let t;
        const status = await Promise.race([
          exited,
          new Promise((resolve) => (t = setTimeout(() => resolve(undefined), STOP_MS))),
        ]);
        clearTimeout(t);
        if (status === undefined) {
          process.kill(child.pid, 'SIGKILL');
          await exited;
          throw new Error(`ringcastd (pid ${child.pid}) ignored SIGTERM for ${STOP_MS} ms:\n${log}`);
        }
        if (ownDir && !keepDir) rmSync(dir, { recursive: true, force: true });
        return status;
      })();
      return stopping;
    },
  };
}
