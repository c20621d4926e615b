// The stream's messages, newest first, as text.
import type { SSEMessage } from '@ringcast/browser';

function show(data: unknown): string {
  return typeof data == 'string' ? data : JSON.stringify(data);
}

export function History({ messages, clear }: { messages: readonly SSEMessage[]; clear: () => void }) {
  return (
    <section className="panel panel--wide" aria-labelledby="h-history">
      <div className="panel__head">
        <h2 id="h-history">Message history</h2>
        <button type="button" onClick={clear} disabled={messages.length == 0}>
          Clear
        </button>
      </div>
      {messages.length == 0 ? (
        <p className="meta">Nothing yet: publish something above.</p>
      ) : (
        <ol className="history" aria-live="polite" data-testid="history">
          {[...messages].reverse().map((m, i) => (
            <li key={messages.length - i} className={'history__item history__item--' + m.type}>
              <span className="history__type">{m.type}</span>
              <time className="history__time" dateTime={new Date(m.timestamp).toISOString()}>
                {new Date(m.timestamp).toLocaleTimeString()}
              </time>
              <span className="history__id">{m.id ? '#' + m.id : ''}</span>
              <code className="history__data">{show(m.data)}</code>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
