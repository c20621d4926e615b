// /demo: what ringcast does, live, built on @ringcast/browser as an app would
// use it. The stream (alerts, notifications, toasts, system) with its
// connection indicator, the banner stack, the daemon's stats with small
// charts, a form that publishes test events, and the stream's history. The
// stats and publishing need an API key or an admin token; without one the
// page shows what an anonymous visitor sees. Text only: nothing is rendered
// as HTML.
import '@ringcast/browser/ringcast.css';
import './demo.css';
import { BannerStack, SSEConnectionIndicator, useSSE } from '@ringcast/browser/react';
import { createRoot } from 'react-dom/client';
import { api, useCredential } from '../shared/credentials';
import { SignIn } from '../shared/sign-in';
import { History } from './history';
import { PublishForm } from './publish-form';
import { Stats } from './stats';
import { Toasts } from './toasts';

const CHANNELS = ['alerts', 'notifications', 'toasts', 'system'];

function Demo() {
  const [credential, setCredential] = useCredential();
  const sse = useSSE({ channels: CHANNELS, reconnect: { maxAttempts: Infinity } });
  const { client, connectionState } = sse;
  return (
    <>
      <header className="top">
        <h1>ringcast demo</h1>
        <SSEConnectionIndicator connectionState={connectionState} />
      </header>
      <BannerStack alerts={client.alerts} onDismiss={(id, how) => client.dismissAlert(id, how)} />
      <Toasts messages={sse.messages} />
      <main className="grid">
        <section className="panel" aria-labelledby="h-access">
          <h2 id="h-access">Access</h2>
          <SignIn
            credential={credential}
            onChange={setCredential}
            why="Anonymous visitors see the stream and the alerts. The daemon's stats and publishing need an API key (make run's is var/api-key) or a token with the admin claim."
          />
          <p className="meta">
            Stream: <code>/api/sse/stream?channels={CHANNELS.join(',')}</code>; user{' '}
            <span data-testid="user">{client.userId ?? 'anonymous'}</span>; tab role{' '}
            <span data-testid="role">{connectionState.role}</span>; last event id{' '}
            <span data-testid="last-event-id">{connectionState.lastEventId ?? 'none'}</span>
          </p>
        </section>
        <Stats credential={credential} />
        <PublishForm credential={credential} publish={(body) => api(credential, 'POST', '/api/publish', body)} />
        <History messages={sse.messages} clear={sse.clearMessages} />
      </main>
    </>
  );
}

createRoot(document.getElementById('root')!).render(<Demo />);
