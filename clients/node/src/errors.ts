// The one error type of the package. A caller tells failures apart by `code`:
// the daemon's codes (docs/protocol.md, "Errors") arrive verbatim, and the
// client adds its own for what happens on this side of the connection.
// `source` says which side decided, which matters for retries: a daemon error
// means the request was read and refused; a client error may mean it never left.
//
// Both transports give the same code for the same failure, so an app can move
// from the socket to HTTP without touching its error handling: an HTTP 400
// about the body carries the socket's code (invalid_json, invalid_field) as
// its `reason`, and that becomes the code here; a 429's Retry-After becomes
// `retryAfterMs`, as the socket's rate_limited reply has it.

/** Codes the daemon sends (docs/protocol.md): the socket's, and the HTTP API's
 *  refusals of credentials. */
export type DaemonErrorCode =
  | 'invalid_json'
  | 'invalid_request'
  | 'unknown_op'
  | 'invalid_field'
  | 'not_found'
  | 'line_too_long'
  | 'forbidden'
  | 'rate_limited'
  | 'unavailable'
  /** HTTP 401: an X-API-Key that is not one of publish.api_keys. */
  | 'invalid_api_key'
  /** HTTP 401: no API key (nor token) sent, and the daemon requires one. */
  | 'unauthorized'
  /** HTTP 401: a Bearer token that does not verify. */
  | 'invalid_token'
  /** HTTP 400 that is not about a field (malformed HTTP). */
  | 'bad_request'
  /** HTTP 413: the body is over http.max_body. */
  | 'payload_too_large'
  /** `token`: stream tokens are off; alerts: `[alerts] enabled = false`. */
  | 'not_configured'
  /** Alerts: the `version` sent is not the alert's; `current` holds it. */
  | 'version_conflict'
  /** Alerts: `[alerts] max_active` alerts are active or scheduled already. */
  | 'too_many_alerts'
  /** Alerts: the change could not be stored (disk full, I/O error); nothing changed. */
  | 'store_failed';

/** Codes this client raises itself. */
export type ClientErrorCode =
  /** No reply within the request's timeout (it may still have been published). */
  | 'timeout'
  /** `maxQueue` requests are already waiting (for the socket, or over HTTP for
   *  a connection). */
  | 'queue_full'
  /** The connection dropped after the request was written and before its reply:
   *  it may or may not have been published (never re-sent: at most once). */
  | 'disconnected'
  /** `close()` was called before the request could be written. */
  | 'closed'
  /** The request is longer than the daemon's line (or body) limit; it was not sent. */
  | 'line_too_long'
  /** The daemon is not there and this client never reached it: no socket file
   *  (ENOENT), nothing listening (ECONNREFUSED), an HTTP host that does not
   *  resolve or refuses. Fails at once; the message says what to set. */
  | 'unreachable'
  /** The socket (or a directory above it) may not be opened by this process
   *  (EACCES); the message names the group to join. */
  | 'permission_denied'
  /** The peer sent something that is not a reply. */
  | 'protocol';

export interface RingcastErrorDetails {
  source: 'daemon' | 'client';
  op?: string | undefined;
  line?: number | undefined;
  cause?: unknown;
  status?: number | undefined;
  reason?: string | undefined;
  retryAfterMs?: number | undefined;
  field?: string | undefined;
  current?: unknown;
}

export class RingcastError extends Error {
  /** The daemon's error code, or one of the client's (see ClientErrorCode). */
  readonly code: DaemonErrorCode | ClientErrorCode | (string & {});
  /** 'daemon': the daemon answered with this error; 'client': raised here. */
  readonly source: 'daemon' | 'client';
  /** The op of the failed request (publish, stats...), when known. */
  readonly op: string | undefined;
  /** For fire-and-forget failures over the socket: the request's line number
   *  on its connection. */
  readonly line: number | undefined;
  /** Over HTTP: the answer's status (400, 401, 429...). */
  readonly status: number | undefined;
  /** The daemon's finer cause, when it gives one (HTTP: `missing_credentials`,
   *  `publisher_rate`...). */
  readonly reason: string | undefined;
  /** rate_limited: ms until a retry can succeed (the socket's retryAfterMs,
   *  HTTP's Retry-After). */
  readonly retryAfterMs: number | undefined;
  /** invalid_field: the field at fault, when the daemon names it
   *  (alerts: `"title"`, `"actions[1].url"`). */
  readonly field: string | undefined;
  /** version_conflict: the alert as it stands now, to merge and send again. */
  readonly current: unknown;

  constructor(code: string, message: string, details: RingcastErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'RingcastError';
    this.code = code;
    this.source = details.source;
    this.op = details.op;
    this.line = details.line;
    this.status = details.status;
    this.reason = details.reason;
    this.retryAfterMs = details.retryAfterMs;
    this.field = details.field;
    this.current = details.current;
  }

  /** An error object as the daemon writes it: {"code", "message", "reason"?,
   *  "retryAfterMs"?, "field"?}. Over HTTP, `status` and the Retry-After
   *  header's ms. `current`: the reply's "current" member (version_conflict). */
  static fromDaemon(
    error: unknown,
    op?: string,
    line?: number,
    http?: { status: number; retryAfterMs?: number | undefined },
    current?: unknown,
  ): RingcastError {
    const e = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
    const reason = typeof e['reason'] === 'string' ? e['reason'] : undefined;
    let code = typeof e['code'] === 'string' ? e['code'] : 'protocol';
    // HTTP's 400 names the socket's code in `reason`: one code for both.
    if (code === 'bad_request' && reason !== undefined && SOCKET_CODES_IN_REASON.has(reason)) code = reason;
    const message = typeof e['message'] === 'string' ? e['message'] : 'the daemon refused the request';
    const retryAfterMs = typeof e['retryAfterMs'] === 'number' ? e['retryAfterMs'] : http?.retryAfterMs;
    return new RingcastError(code, message, {
      source: 'daemon',
      op,
      line,
      status: http?.status,
      reason,
      retryAfterMs,
      field: typeof e['field'] === 'string' ? e['field'] : undefined,
      current,
    });
  }

  static client(code: ClientErrorCode, message: string, op?: string, cause?: unknown): RingcastError {
    return new RingcastError(code, message, { source: 'client', op, cause });
  }
}

const SOCKET_CODES_IN_REASON = new Set(['invalid_json', 'invalid_field', 'invalid_request']);
