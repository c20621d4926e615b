// Runs the real ringcastd for a test file: a temp data dir, HTTP on a port the
// kernel picks, the publishing socket where asked, and optionally a
// configuration file (its text written into the data dir). Ready when its log
// names both the HTTP address and the socket; stopped with SIGTERM by pid.
import { spawn } from 'node:child_process';
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

/** A directory for sockets and data, removed by the caller. */
export function tempDir() {
  return mkdtempSync(join(tmpdir(), 'ringcast-node-'));
}

/**
 * Starts ringcastd. `socketPath` defaults to <data dir>/ringcast.sock.
 * `config`, a TOML text, is written to <data dir>/ringcast.toml and passed with
 * --config (the flags --http, --data-dir and --unix still win over it).
 * `http` is the --http address (default 127.0.0.1:0, a port the kernel picks;
 * a fixed port lets a test restart the daemon where its clients expect it).
 * `dataDir`: use this one (the caller's, kept) instead of a new temp dir.
 * Resolves with { pid, port, socketPath, dataDir, exited, log(), kill(signal), stop() }.
 */
export async function startDaemon({ socketPath, config, args = [], http = '127.0.0.1:0', dataDir: given } = {}) {
  const bin = ringcastdPath();
  const ownDir = given === undefined;
  const dataDir = given ?? tempDir();
  const sock = socketPath ?? join(dataDir, 'ringcast.sock');
  const configArgs = [];
  if (config !== undefined) {
    const file = join(dataDir, 'ringcast.toml');
    writeFileSync(file, config);
    configArgs.push('--config', file);
  }
  const argv = ['--http', http, '--data-dir', dataDir, '--unix', sock, ...configArgs, ...args];
  const child = spawn(bin, argv, {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise((resolve, reject) => {
    let port;
    let path;
    // stderr is read for the daemon's whole life, or a full pipe would stall it.
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      log += chunk;
      if (log.length > 1 << 20) log = log.slice(-(1 << 19));
      port ??= log.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/)?.[1];
      path ??= log.match(/publishing socket: (\S+) \(mode/)?.[1];
      if (port && path) resolve({ port: Number(port), socketPath: path });
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
  let where;
  try {
    where = await Promise.race([ready, deadline]);
  } catch (error) {
    child.kill('SIGKILL');
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  } finally {
    clearTimeout(timer);
  }

  let stopping;
  return {
    pid: child.pid,
    port: where.port,
    socketPath: where.socketPath,
    dataDir,
    exited,
    log: () => log,
    /** A signal to the daemon (SIGKILL, SIGSTOP, SIGCONT). */
    kill(signal) {
      process.kill(child.pid, signal);
    },
    /**
     * SIGTERM (SIGCONT first, in case a test left it stopped), then wait for the
     * exit (SIGKILL past the bound). A temp dir of its own is removed unless keepDir.
     */
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
        if (ownDir && !keepDir) rmSync(dataDir, { recursive: true, force: true });
        return status;
      })();
      return stopping;
    },
  };
}
