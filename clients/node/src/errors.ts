// The one error type of the package. A caller tells failures apart by `code`:
// the daemon's codes (docs/protocol.md, "Errors") arrive verbatim, and the
// client adds its own for what happens on this side of the socket. `source`
// says which side decided, which matters for retries: a daemon error means the
// request was read and refused; a client error may mean it never left.

/** Codes the daemon sends (docs/protocol.md). */
export type DaemonErrorCode =
  | 'invalid_json'
  | 'invalid_request'
  | 'unknown_op'
  | 'invalid_field'
  | 'not_found'
  | 'line_too_long'
  | 'forbidden'
  | 'unavailable';

/** Codes this client raises itself. */
export type ClientErrorCode =
  /** No reply within the request's timeout (it may still have been published). */
  | 'timeout'
  /** Disconnected and `maxQueue` requests are already waiting for the socket. */
  | 'queue_full'
  /** The connection dropped after the request was written and before its reply:
   *  it may or may not have been published (never re-sent: at most once). */
  | 'disconnected'
  /** `close()` was called before the request could be written. */
  | 'closed'
  /** The request is longer than the daemon's line limit; it was not sent. */
  | 'line_too_long'
  /** The daemon sent something that is not a reply line. */
  | 'protocol';

export class RingcastError extends Error {
  /** The daemon's error code, or one of the client's (see ClientErrorCode). */
  readonly code: DaemonErrorCode | ClientErrorCode | (string & {});
  /** 'daemon': the daemon answered with this error; 'client': raised here. */
  readonly source: 'daemon' | 'client';
  /** The op of the failed request (publish, stats...), when known. */
  readonly op: string | undefined;
  /** For fire-and-forget failures: the request's line number on its connection. */
  readonly line: number | undefined;

  constructor(
    code: string,
    message: string,
    details: { source: 'daemon' | 'client'; op?: string; line?: number; cause?: unknown },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'RingcastError';
    this.code = code;
    this.source = details.source;
    this.op = details.op;
    this.line = details.line;
  }

  /** An error object as the daemon writes it: {"code": ..., "message": ...}. */
  static fromDaemon(error: unknown, op?: string, line?: number): RingcastError {
    const e = (typeof error === 'object' && error !== null ? error : {}) as {
      code?: unknown;
      message?: unknown;
    };
    const code = typeof e.code === 'string' ? e.code : 'protocol';
    const message = typeof e.message === 'string' ? e.message : 'the daemon refused the request';
    return new RingcastError(code, message, { source: 'daemon', op, line });
  }

  static client(code: ClientErrorCode, message: string, op?: string, cause?: unknown): RingcastError {
    return new RingcastError(code, message, { source: 'client', op, cause });
  }
}
