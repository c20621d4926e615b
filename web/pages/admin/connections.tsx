// Every stream, anonymous ones included, live: GET /api/connections a page at
// a time (user, stream id and address, channels, since, last activity, queued
// bytes), read again every 2 s. Pages follow the daemon's cursor (`next`); the
// page shown stays where it is while streams come and go. Each stream can be
// closed by its id, and a signed-in user's every stream by the user id (POST
// /api/disconnect).
import { useEffect, useState } from 'react';
import { api, errorText } from '../shared/credentials';

const EVERY_MS = 2000;
/** Streams per page (the daemon allows 1 to 1000). */
const PAGE_SIZE = 50;

interface Row {
  connectionId: string;
  userId: string | null;
  ip: string;
  channels: string[];
  connectedAt: number;
  lastActivity: number;
  queuedBytes: number;
}

interface Page {
  /** The cursor it was read after ('' for the first page). */
  after: string;
  total: number;
  rows: Row[];
  next: string | null;
}

function ago(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  return s < 60 ? `${s} s ago` : s < 3600 ? `${Math.floor(s / 60)} min ago` : new Date(ms).toLocaleString();
}

export function Connections({ credential, onMessage }: { credential: string; onMessage: (m: string) => void }) {
  // Where each page seen so far starts (`after`; '' for the first): back is one step down.
  const [starts, setStarts] = useState<string[]>(['']);
  const [read, setRead] = useState<Page | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [round, setRound] = useState(0);
  const after = starts[starts.length - 1];
  // Only the page asked for: another one's rows under this page's number would mislead.
  const page = read && read.after == after ? read : null;
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const read = async () => {
      try {
        const q = new URLSearchParams({ limit: String(PAGE_SIZE) });
        if (after) q.set('after', after);
        const a = await api(credential, 'GET', `/api/connections?${q}`);
        if (a.status != 200) throw new Error(errorText(a));
        if (stopped) return;
        if (a.body.connections.length == 0 && after) {
          // Every stream of this page has gone: back to the first page.
          setStarts(['']);
          return;
        }
        setRead({ after, total: a.body.total, rows: a.body.connections, next: a.body.next });
        setError(null);
      } catch (e) {
        if (!stopped) setError(e instanceof TypeError ? 'the daemon cannot be reached' : (e as Error).message);
      }
      if (!stopped) timer = setTimeout(read, EVERY_MS);
    };
    read();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [credential, round, after]);

  const close = async (what: { connectionId: string } | { userId: string }, label: string) => {
    const a = await api(credential, 'POST', '/api/disconnect', what);
    onMessage(a.status == 200 ? `Disconnected ${label}: ${a.body.disconnected} stream${a.body.disconnected == 1 ? '' : 's'}.` : `${label} not disconnected: ${errorText(a)}`);
    setRound((r) => r + 1);
  };
  const now = Date.now();
  const paged = page != null && (starts.length > 1 || page.next != null);
  return (
    <section className="panel panel--wide" aria-labelledby="h-conns">
      <h2 id="h-conns">Connections</h2>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {page && (
        <p className="meta" data-testid="conn-summary">
          {page.total} stream{page.total == 1 ? '' : 's'}
          {paged ? ` · page ${starts.length}: ${page.rows.length} shown` : ''}.
        </p>
      )}
      {page && page.rows.length > 0 && (
        <table className="table" data-testid="connections">
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Stream</th>
              <th scope="col">Channels</th>
              <th scope="col">Since</th>
              <th scope="col">Last activity</th>
              <th scope="col">Queued</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {page.rows.map((r) => (
              <tr key={r.connectionId} data-connection={r.connectionId} {...(r.userId == null ? { 'data-anonymous': '' } : { 'data-user': r.userId })}>
                <td>{r.userId ?? <span className="meta">anonymous</span>}</td>
                <td className="meta">
                  {r.connectionId} · {r.ip}
                </td>
                <td>{r.channels.join(', ')}</td>
                <td>{ago(r.connectedAt, now)}</td>
                <td>{ago(r.lastActivity, now)}</td>
                <td>{r.queuedBytes} B</td>
                <td className="row-actions">
                  <button
                    type="button"
                    className="danger"
                    onClick={() => close({ connectionId: r.connectionId }, r.connectionId)}
                    aria-label={r.userId == null ? `Disconnect anonymous stream ${r.connectionId}` : `Disconnect stream ${r.connectionId} of user ${r.userId}`}
                  >
                    Disconnect
                  </button>
                  {r.userId != null && (
                    <button type="button" className="secondary" onClick={() => close({ userId: r.userId! }, 'user ' + r.userId)} aria-label={`Disconnect every stream of user ${r.userId}`}>
                      All of user
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {paged && page && (
        <nav className="row-actions" aria-label="Connection pages">
          <button type="button" className="secondary" disabled={starts.length == 1} onClick={() => setStarts((s) => s.slice(0, -1))}>
            Previous page
          </button>
          <button type="button" className="secondary" disabled={page.next == null} onClick={() => page.next != null && setStarts((s) => [...s, page.next!])}>
            Next page
          </button>
        </nav>
      )}
    </section>
  );
}
