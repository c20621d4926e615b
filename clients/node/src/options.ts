// Client settings, their defaults, and where the socket is.

import { resolve } from 'node:path';

export interface ClientOptions {
  /** The daemon's Unix socket. Default: $RINGCAST_SOCKET, else ./var/ringcast.sock
   *  (what `make run` uses), resolved against the working directory when the
   *  client first connects. */
  socketPath?: string;
  /** How long a request may wait for its reply, from the call, in ms (default
   *  10000). The wait for a connection counts. Must be finite: every request is
   *  answered or fails. */
  timeout?: number;
  /** Requests (and fire-and-forget messages) held while the socket is not
   *  connected; one more is refused with `queue_full` (default 10000). */
  maxQueue?: number;
  /** First reconnect delay in ms, before jitter (default 100). */
  reconnectDelay?: number;
  /** Longest reconnect delay in ms, before jitter (default 5000). */
  maxReconnectDelay?: number;
  /** The daemon's publish.max_line in bytes: longer requests are refused here
   *  instead of making the daemon close the connection (default 1 MiB). */
  maxLineBytes?: number;
}

export interface ResolvedOptions {
  socketPath: string;
  timeout: number;
  maxQueue: number;
  reconnectDelay: number;
  maxReconnectDelay: number;
  maxLineBytes: number;
}

export const DEFAULT_SOCKET_PATH = './var/ringcast.sock';

/** The socket path a client without `socketPath` uses, read now. */
export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['RINGCAST_SOCKET'];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_SOCKET_PATH;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw new RangeError(`ringcast: option ${name} must be a finite number > 0 (got ${String(value)})`);
  return value;
}

/** Checks the options and fills in defaults; the socket path stays as given
 *  (undefined: decided at first connect, so an env set after import counts). */
export function resolveOptions(o: ClientOptions = {}): Omit<ResolvedOptions, 'socketPath'> & {
  socketPath: string | undefined;
} {
  const reconnectDelay = positive('reconnectDelay', o.reconnectDelay, 100);
  const maxReconnectDelay = positive('maxReconnectDelay', o.maxReconnectDelay, 5000);
  if (maxReconnectDelay < reconnectDelay)
    throw new RangeError('ringcast: maxReconnectDelay must be at least reconnectDelay');
  return {
    socketPath: o.socketPath,
    timeout: positive('timeout', o.timeout, 10_000),
    maxQueue: Math.floor(positive('maxQueue', o.maxQueue, 10_000)),
    reconnectDelay,
    maxReconnectDelay,
    maxLineBytes: positive('maxLineBytes', o.maxLineBytes, 1024 * 1024),
  };
}

/** The absolute path the client connects to. */
export function socketPathFor(given: string | undefined): string {
  return resolve(given ?? defaultSocketPath());
}
