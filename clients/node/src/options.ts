// Client settings, their defaults, and where the daemon is: the socket path
// rule and the HTTP endpoint.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export interface ClientOptions {
  /** The daemon's Unix socket. Default: $RINGCAST_SOCKET, else
   *  ./var/ringcast.sock if it exists (what `make run` uses), else
   *  /run/ringcast/ringcast.sock (the systemd unit's); decided, and resolved
   *  against the working directory, when the client first connects. */
  socketPath?: string;
  /** How long a request may wait for its reply, from the call, in ms (default
   *  10000). The wait for a connection counts. Must be finite: every request is
   *  answered or fails. */
  timeout?: number;
  /** Requests (and fire-and-forget messages) held while the socket is not
   *  connected (over HTTP: waiting for a free connection); one more is refused
   *  with `queue_full` (default 10000). */
  maxQueue?: number;
  /** First reconnect delay in ms, before jitter (default 100). */
  reconnectDelay?: number;
  /** Longest reconnect delay in ms, before jitter (default 5000). */
  maxReconnectDelay?: number;
  /** The daemon's publish.max_line (over HTTP: http.max_body) in bytes: longer
   *  requests are refused here instead of by the daemon (default 1 MiB). */
  maxLineBytes?: number;
}

export interface HttpClientOptions extends Omit<ClientOptions, 'socketPath'> {
  /** The daemon's HTTP address, as the app reaches it: `http://ringcast:8080`,
   *  or `https://events.example.com/ringcast` behind a proxy that serves it
   *  under a path. */
  url: string | URL;
  /** One of the daemon's publish.api_keys, sent as `X-API-Key` (default:
   *  $RINGCAST_API_KEY when the url came from $RINGCAST_URL). */
  apiKey?: string;
  /** Keep-alive connections to the daemon at most (default 8). Publishes are
   *  POSTs, which are never pipelined (see http-client.ts): this is how many
   *  run at once. */
  connections?: number;
  /** Requests in flight on one connection (HTTP/1.1 pipelining; default 10).
   *  Only the GET queries are pipelined. */
  pipelining?: number;
}

export interface ResolvedOptions {
  socketPath: string;
  timeout: number;
  maxQueue: number;
  reconnectDelay: number;
  maxReconnectDelay: number;
  maxLineBytes: number;
}

/** Where `make run` puts the socket: used when it exists. */
export const DEV_SOCKET_PATH = './var/ringcast.sock';
/** The systemd unit's socket: the default otherwise. */
export const SYSTEM_SOCKET_PATH = '/run/ringcast/ringcast.sock';

/** The socket path a client without `socketPath` uses, decided now:
 *  $RINGCAST_SOCKET, else ./var/ringcast.sock if it exists (relative to the
 *  working directory), else /run/ringcast/ringcast.sock. The `ringcast` CLI
 *  follows the same rule. */
export function defaultSocketPath(
  env: NodeJS.ProcessEnv = process.env,
  exists: (path: string) => boolean = existsSync,
): string {
  const fromEnv = env['RINGCAST_SOCKET'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return exists(DEV_SOCKET_PATH) ? DEV_SOCKET_PATH : SYSTEM_SOCKET_PATH;
}

/** $RINGCAST_URL and $RINGCAST_API_KEY, when the URL is set: the default
 *  instance then speaks HTTP. */
export function httpFromEnv(env: NodeJS.ProcessEnv = process.env): { url: string; apiKey?: string } | undefined {
  const url = env['RINGCAST_URL'];
  if (url === undefined || url === '') return undefined;
  const apiKey = env['RINGCAST_API_KEY'];
  return apiKey === undefined || apiKey === '' ? { url } : { url, apiKey };
}

export function positive(name: string, value: number | undefined, fallback: number): number {
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
