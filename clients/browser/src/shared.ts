// One connection per browser, shared by every tab that asks for the same
// stream (url, channels, kind of auth): the "key". Browsers allow 6 HTTP/1.1
// connections per origin; ten tabs with a stream each would leave none for the
// page's own requests.
//
// Every tab asks Web Locks for the key's lock and holds it while it leads: the
// browser grants it to one tab at a time, and to the next waiter as soon as the
// leader's tab closes or crashes (the lock dies with its holder, so no timer
// decides a takeover; a leader whose page hangs keeps it until the browser ends
// the page: docs/browser.md, "A leader tab that hangs"). The leader runs the
// connection as an unshared client would, and relays over a BroadcastChannel of
// the same key:
//   leader   -> all    {k:'s', s}         its connection state, at each change
//   leader   -> all    {k:'m', m, to?}    every event (to: one tab, for a replay)
//   leader   -> all    {k:'q'}            a new leader asks who is there
//   follower -> leader {k:'n', n, from}   here I am, and the event names I listen for
//   follower -> leader {k:'r'}            reconnect (the follower's reconnect())
//   follower -> leader {k:'w'}            the follower's tab came online or into view:
//                                         check the stream, retry now if waiting
// A tab that joins gets the leader's state and the last `connected` and alerts
// list (sent when the stream opened, before the tab was there).
//
// No event is lost when a follower takes over: the state it mirrored carries
// the leader's last event id (every event id, and ringcast's id-only blocks),
// and the new leader's stream resumes from there; the daemon sends what was
// published meanwhile.
import type { ConnectionState, SSEEnvironment, SSEMessage } from './types.js';

export type Relay =
  | { k: 's'; s: ConnectionState }
  | { k: 'm'; m: SSEMessage; to?: number }
  | { k: 'q' }
  | { k: 'n'; n: string[]; from: number }
  | { k: 'r' }
  | { k: 'w' };

/** What the client gives the sharing layer (internal: mangled by the build). */
export interface TabHost {
  _lead: boolean;
  _names: Set<string>;
  _sticky: Record<string, SSEMessage>;
  connectionState: ConnectionState;
  /** This tab got the lock: run the connection. */
  _becomeLeader(post: (r: Relay) => void): void;
  /** Followers listen for these names too. */
  _listen(names: string[]): void;
  reconnect(): void;
  _wake(): void;
  /** The leader's state, as a follower shows it. */
  _mirror(s: ConnectionState): void;
  _emit(m: SSEMessage): void;
}

export interface Tabs {
  post(r: Relay): void;
  /** Tells the leader of a name this tab now listens for. */
  names(n: string[]): void;
  /** Stops leading (the next waiting tab takes over) or waiting. */
  leave(): void;
}

export function joinTabs(env: SSEEnvironment, key: string, host: TabHost): Tabs {
  const bc = new env.BroadcastChannel!(key);
  const ac = new AbortController();
  const me = Math.random();
  let release: (() => void) | undefined;
  const post = (r: Relay) => bc.postMessage(r);
  const names = (n: string[]) => post({ k: 'n', n, from: me });
  bc.onmessage = ({ data: r }: MessageEvent<Relay>) => {
    if (host._lead) {
      if (r.k == 'n') {
        host._listen(r.n);
        post({ k: 's', s: host.connectionState });
        for (const m of Object.values(host._sticky)) post({ k: 'm', m, to: r.from });
      } else if (r.k == 'r') host.reconnect();
      else if (r.k == 'w') host._wake();
    } else if (r.k == 's') host._mirror(r.s);
    else if (r.k == 'm') (!r.to || r.to == me) && host._emit(r.m);
    else if (r.k == 'q') names([...host._names]);
  };
  env.navigator!.locks!.request(key, { signal: ac.signal }, () =>
    ac.signal.aborted
      ? undefined
      : new Promise<void>((resolve) => {
          release = resolve;
          host._becomeLeader(post);
        }),
  ).catch(() => {});
  names([...host._names]);
  return {
    post,
    names,
    leave() {
      ac.abort();
      release?.();
      bc.close();
    },
  };
}
