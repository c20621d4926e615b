// Toast events (channel toasts, event toast) shown for a few seconds in a
// corner, as an app would; announced politely.
import type { SSEMessage } from '@ringcast/browser';
import { useEffect, useState } from 'react';

const SHOW_MS = 5000;

export function Toasts({ messages }: { messages: readonly SSEMessage[] }) {
  const [now, setNow] = useState(Date.now());
  const live = messages.filter((m) => m.type == 'toast' && now - m.timestamp < SHOW_MS).slice(-3);
  const next = live.length ? live[0].timestamp + SHOW_MS - now : 0;
  useEffect(() => {
    if (!live.length) return;
    const t = setTimeout(() => setNow(Date.now()), Math.max(50, next));
    return () => clearTimeout(t);
  }, [live.length, next]);
  useEffect(() => setNow(Date.now()), [messages]);
  return (
    <div className="toasts" role="status" aria-live="polite">
      {live.map((m, i) => {
        const d: any = m.data;
        const type = ['info', 'success', 'warning', 'error'].includes(d?.type) ? d.type : 'info';
        return (
          <div key={m.timestamp + ':' + i} className={'toast toast--' + type}>
            {typeof d == 'object' && d ? d.message ?? JSON.stringify(d) : String(d)}
          </div>
        );
      })}
    </div>
  );
}
