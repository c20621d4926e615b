// /admin: manage alerts and see who is connected. Sign in with an API key or
// an admin token (kept in sessionStorage). The alert list is live: it reloads
// when a stream says the alerts changed (the alerts channel; with a token,
// also the admin-actions channel, which names who changed what), and every
// 5 s for changes no stream of this page can see (alerts targeted at others).
import '@ringcast/browser/ringcast.css';
import './admin.css';
import { SSEConnectionIndicator, useSSE } from '@ringcast/browser/react';
import { useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { api, errorText, useCredential } from '../shared/credentials';
import { SignIn } from '../shared/sign-in';
import { AlertForm } from './alert-form';
import { AlertList } from './alert-list';
import { Connections } from './connections';

const POLL_MS = 5000;
const isToken = (c: string) => c.split('.').length == 3;

function Admin() {
  const [credential, setCredential] = useCredential();
  return (
    <>
      <header className="top">
        <h1>ringcast admin</h1>
      </header>
      <section className="panel" aria-labelledby="h-access">
        <h2 id="h-access">Access</h2>
        <SignIn
          credential={credential}
          onChange={setCredential}
          why="An API key (make run's is var/api-key) or a token with the admin claim, or a role of alerts.admin_roles for the alerts. A token also shows who changed what, live."
        />
      </section>
      {credential && <Signed credential={credential} />}
    </>
  );
}

function Signed({ credential }: { credential: string }) {
  const [list, setList] = useState<{ alerts: any[]; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [editing, setEditing] = useState<any | null>(null);
  const load = useCallback(async () => {
    try {
      const a = await api(credential, 'GET', '/api/alerts?limit=100');
      if (a.status == 200) {
        setList({ alerts: a.body.alerts, total: a.body.total });
        setError(null);
      } else setError(errorText(a));
    } catch {
      setError('the daemon cannot be reached');
    }
  }, [credential]);
  useEffect(() => {
    load();
    const t = setInterval(load, POLL_MS);
    return () => clearInterval(t);
  }, [load]);

  // Any change of the alerts a stream of this page sees reloads the list.
  const alerts = useSSE({ channels: ['alerts'], reconnect: { maxAttempts: Infinity } });
  useEffect(() => {
    const names = ['alerts-update', 'alert', 'alerts-refresh'];
    const reload = () => load();
    for (const n of names) alerts.addEventListener(n, reload);
    return () => names.forEach((n) => alerts.removeEventListener(n, reload));
  }, [alerts.addEventListener, load]);

  const done = (m: string) => {
    setNotice(m);
    setEditing(null);
    load();
  };
  return (
    <>
      <div className="status-line">
        <span>Alerts stream:</span> <SSEConnectionIndicator connectionState={alerts.connectionState} />
        {isToken(credential) && <AdminActions token={credential} onChange={(m) => (setNotice(m), load())} />}
      </div>
      {notice && (
        <p className="notice" role="status" data-testid="notice">
          {notice}
        </p>
      )}
      <main className="grid">
        <section className="panel panel--wide" aria-labelledby="h-alerts">
          <h2 id="h-alerts">Alerts</h2>
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
          {list && <AlertList credential={credential} alerts={list.alerts} total={list.total} onEdit={setEditing} onChanged={done} />}
        </section>
        <section className="panel panel--wide">
          <AlertForm credential={credential} editing={editing} onDone={done} onCancel={() => setEditing(null)} />
        </section>
        <Connections credential={credential} onMessage={setNotice} />
      </main>
    </>
  );
}

// The admin-actions stream (a token with the role admin or moderator): says who changed which alert.
function AdminActions({ token, onChange }: { token: string; onChange: (m: string) => void }) {
  const s = useSSE('/api/admin/sse/stream', { token, shared: false, reconnect: { maxAttempts: Infinity } });
  useEffect(() => {
    const on = (d: any) => {
      if (d?.type == 'alert-updated') onChange(`Alert #${d.alertId} ${d.action} by ${d.by}.`);
    };
    s.addEventListener('update', on);
    return () => s.removeEventListener('update', on);
  }, [s.addEventListener]);
  return (
    <>
      <span>Admin actions:</span> <SSEConnectionIndicator connectionState={s.connectionState} />
    </>
  );
}

createRoot(document.getElementById('root')!).render(<Admin />);
