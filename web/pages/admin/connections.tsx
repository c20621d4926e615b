// The signed-in users' streams, live: GET /api/stats names the users with an
// open stream (connectionsByUser), GET /api/users/{id} lists each one's
// streams (channels, since, last activity, queued bytes); read every 2 s.
// Anonymous streams have no user to ask by: they are counted. Each stream, or
// all of a user's, can be closed (POST /api/disconnect).
import { useEffect, useState } from 'react';
import { api, errorText } from '../shared/credentials';

const EVERY_MS = 2000;
/** Users asked about per round: a panel for a handful of people, not a census. */
const MAX_USERS = 50;

interface Row {
  connectionId: string;
  userId: string;
  ip: string;
  channels: string[];
  connectedAt: number;
  lastActivity: number;
  queuedBytes: number;
}

function ago(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  return s < 60 ? `${s} s ago` : s < 3600 ? `${Math.floor(s / 60)} min ago` : new Date(ms).toLocaleString();
}

export function Connections({ credential, onMessage }: { credential: string; onMessage: (m: string) => void }) {
  const [rows, setRows] = useState<Row[]>([]);
  const [info, setInfo] = useState<{ total: number; anonymous: number; users: number; shown: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [round, setRound] = useState(0);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const read = async () => {
      try {
        const s = await api(credential, 'GET', '/api/stats');
        if (s.status != 200) throw new Error(errorText(s));
        const byUser: Record<string, number> = s.body.connectionsByUser || {};
        const users = Object.keys(byUser).sort().slice(0, MAX_USERS);
        const answers = await Promise.all(users.map((u) => api(credential, 'GET', '/api/users/' + encodeURIComponent(u))));
        const next: Row[] = answers.flatMap((a) => (a.status == 200 ? a.body.connections : []));
        const named = Object.values(byUser).reduce((x, y) => x + y, 0);
        if (stopped) return;
        setRows(next.sort((a, b) => a.connectedAt - b.connectedAt));
        setInfo({ total: s.body.totalConnections, anonymous: Math.max(0, s.body.totalConnections - named), users: Object.keys(byUser).length, shown: users.length });
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
  }, [credential, round]);

  const close = async (what: { connectionId: string } | { userId: string }, label: string) => {
    const a = await api(credential, 'POST', '/api/disconnect', what);
    onMessage(a.status == 200 ? `Disconnected ${label}: ${a.body.disconnected} stream${a.body.disconnected == 1 ? '' : 's'}.` : `${label} not disconnected: ${errorText(a)}`);
    setRound((r) => r + 1);
  };
  const now = Date.now();
  return (
    <section className="panel panel--wide" aria-labelledby="h-conns">
      <h2 id="h-conns">Connections</h2>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {info && (
        <p className="meta" data-testid="conn-summary">
          {info.total} stream{info.total == 1 ? '' : 's'}: {info.users} signed-in user{info.users == 1 ? '' : 's'}
          {info.shown < info.users ? ` (the first ${info.shown} listed)` : ''}, {info.anonymous} anonymous.
        </p>
      )}
      {rows.length > 0 && (
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
            {rows.map((r) => (
              <tr key={r.connectionId} data-user={r.userId}>
                <td>{r.userId}</td>
                <td className="meta">
                  {r.connectionId} · {r.ip}
                </td>
                <td>{r.channels.join(', ')}</td>
                <td>{ago(r.connectedAt, now)}</td>
                <td>{ago(r.lastActivity, now)}</td>
                <td>{r.queuedBytes} B</td>
                <td className="row-actions">
                  <button type="button" className="danger" onClick={() => close({ connectionId: r.connectionId }, r.connectionId)} aria-label={`Disconnect stream ${r.connectionId} of user ${r.userId}`}>
                    Disconnect
                  </button>
                  <button type="button" className="secondary" onClick={() => close({ userId: r.userId }, 'user ' + r.userId)} aria-label={`Disconnect every stream of user ${r.userId}`}>
                    All of user
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
