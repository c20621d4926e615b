// Publishes a test event with POST /api/publish: a notification (channel
// notifications), a toast (channel toasts) or a broadcast (channel system),
// each with a message and a type. The answer, or the API's error, is shown.
import { type FormEvent, useState } from 'react';
import { type ApiAnswer, errorText } from '../shared/credentials';

const KINDS = {
  notification: { channel: 'notifications', event: 'notification' },
  toast: { channel: 'toasts', event: 'toast' },
  broadcast: { channel: 'system', event: 'broadcast' },
} as const;
type Kind = keyof typeof KINDS;

export function PublishForm({ credential, publish }: { credential: string; publish: (body: unknown) => Promise<ApiAnswer> }) {
  const [kind, setKind] = useState<Kind>('notification');
  const [type, setType] = useState('info');
  const [message, setMessage] = useState('Hello from the demo');
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      const { channel, event } = KINDS[kind];
      const a = await publish({ channel, event, data: { message, type, title: kind } });
      setResult(a.status < 300 ? { ok: true, text: `Published${a.body?.id ? ' as #' + a.body.id : ''}.` } : { ok: false, text: errorText(a) });
    } catch {
      setResult({ ok: false, text: 'the daemon cannot be reached' });
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="panel" aria-labelledby="h-publish">
      <h2 id="h-publish">Send a test event</h2>
      {!credential && <p className="meta">Sign in to publish.</p>}
      <form className="form" onSubmit={submit}>
        <label htmlFor="p-kind">Kind</label>
        <select id="p-kind" value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
          {Object.keys(KINDS).map((k) => (
            <option key={k} value={k}>
              {k} ({KINDS[k as Kind].channel})
            </option>
          ))}
        </select>
        <label htmlFor="p-type">Type</label>
        <select id="p-type" value={type} onChange={(e) => setType(e.target.value)}>
          {['info', 'success', 'warning', 'error'].map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
        <label htmlFor="p-message">Message</label>
        <input id="p-message" value={message} maxLength={1000} onChange={(e) => setMessage(e.target.value)} required />
        <button type="submit" disabled={!credential || busy}>
          Publish
        </button>
      </form>
      {result && (
        <p className={result.ok ? 'ok' : 'error'} role={result.ok ? 'status' : 'alert'} data-testid="publish-result">
          {result.text}
        </p>
      )}
    </section>
  );
}
