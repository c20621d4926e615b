// The two ways bytes arrive: the browser's EventSource, or fetch() read by this
// package's parser. Both report to a Sink and never reconnect by themselves:
// the client decides when and how (backoff, a fresh token, its resume id).
import { createSSEParser } from './parser.js';
import type { SSEEnvironment } from './types.js';

/** Why a stream or an attempt ended. `status`: the HTTP status, when there was an answer that was not a stream. */
export interface Failure {
  status?: number;
  message: string;
  /** ms the daemon asked to wait (`Retry-After` of a 429 or 503). */
  retryAfter?: number;
}

// Members starting with "_" are renamed short by the build (scripts/build.mjs).
export interface Sink {
  _open(): void;
  _event(type: string, data: string, id: string): void;
  /** The last event id after a block without data (ringcast's id-only block). */
  _id(id: string): void;
  _retry(ms: number): void;
  /** Any byte of the stream: the heartbeat timeout restarts. */
  _alive(): void;
  _fail(f: Failure): void;
}

export interface Stream {
  close(): void;
  /** Listen for one more event name (EventSource dispatches only the names it was given). */
  _add(name: string): void;
}

export const credentials = (withCredentials: boolean): RequestCredentials => (withCredentials ? 'include' : 'same-origin');

// A refusal as the client reports it: "401 expired: the token expired at ..."
// (the reason, or else the code, and the message of ringcast's JSON body
// {"error": {"code", "reason"?, "message"}}, when there is one).
async function describe(r: Response): Promise<Failure> {
  let message = r.status + (r.ok ? ' not an event stream' : '');
  try {
    const e = (await r.json()).error;
    message += ` ${e.reason || e.code}: ${e.message}`;
  } catch {}
  return { status: r.status, message, retryAfter: (r.headers.get('retry-after') as any) * 1000 || 0 };
}

const isStream = (r: Response) => r.status == 200 && /^text\/event-stream/i.test(r.headers.get('content-type') || '');

// EventSource says nothing of why it failed. When it gave up for good
// (readyState CLOSED: a status other than 200, or not an event stream), one
// fetch of the same URL, with the same credentials, learns the status; it is
// aborted as soon as its headers are in when the answer is a stream.
async function probe(env: SSEEnvironment, url: string, withCredentials: boolean): Promise<Failure> {
  const ac = new AbortController();
  try {
    const r = await env.fetch!(url, { credentials: credentials(withCredentials), signal: ac.signal });
    if (isStream(r)) {
      ac.abort();
      return { message: 'connection lost' };
    }
    return await describe(r);
  } catch {
    return { message: 'cannot connect' };
  }
}

export function openEventSource(env: SSEEnvironment, url: string, withCredentials: boolean, names: Iterable<string>, sink: Sink): Stream {
  const es = new env.EventSource!(url, { withCredentials });
  let opened = false;
  const on = (e: MessageEvent) => sink._event(e.type, e.data, e.lastEventId);
  // "error" is both EventSource's own failure event and a name a server may
  // send: onerror below tells them apart.
  const listen = (name: string) => name != 'error' && es.addEventListener(name, on as EventListener);
  for (const name of names) listen(name);
  es.onopen = () => {
    opened = true;
    sink._open();
  };
  es.onerror = (e) => {
    if ((e as MessageEvent).data != null) return on(e as MessageEvent);
    const closed = es.readyState == 2;
    es.close();
    if (closed && env.fetch) probe(env, url, withCredentials).then(sink._fail);
    else sink._fail({ message: opened ? 'connection lost' : 'cannot connect' });
  };
  return { close: () => es.close(), _add: listen };
}

export function openFetch(env: SSEEnvironment, url: string, headers: Record<string, string>, withCredentials: boolean, sink: Sink): Stream {
  const ac = new AbortController();
  let opened = false;
  env.fetch!(url, { headers, credentials: credentials(withCredentials), signal: ac.signal })
    .then(async (r) => {
      if (!isStream(r)) return sink._fail(await describe(r));
      opened = true;
      sink._open();
      const reader = r.body!.getReader();
      const decoder = new TextDecoder();
      // Every chunk is a sign of life, comments (`: heartbeat`) included.
      const parse = createSSEParser({ onEvent: sink._event, onId: sink._id, onRetry: sink._retry });
      for (let chunk; !(chunk = await reader.read()).done; ) {
        sink._alive();
        parse(decoder.decode(chunk.value, { stream: true }));
      }
      sink._fail({ message: 'connection lost' });
    })
    .catch((e) => ac.signal.aborted || sink._fail({ message: (opened ? 'connection lost: ' : 'cannot connect: ') + e }));
  return { close: () => ac.abort(), _add() {} };
}
