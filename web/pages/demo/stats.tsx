// The daemon's GET /api/stats, read once a second while a credential is set:
// connections and deliveries per second as numbers and small charts (the
// last minute), and a few counters.
import { useEffect, useRef, useState } from 'react';
import { api, errorText } from '../shared/credentials';

const EVERY_MS = 1000;
const KEEP = 60;

interface Sample {
  at: number;
  connections: number;
  deliveries: number;
  published: number;
  users: number;
  channels: number;
  uptime: number;
}

export function Stats({ credential }: { credential: string }) {
  const [samples, setSamples] = useState<Sample[]>([]);
  const [error, setError] = useState<string | null>(null);
  const credentialNow = useRef(credential);
  credentialNow.current = credential;
  useEffect(() => {
    setSamples([]);
    setError(null);
    if (!credential) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const read = async () => {
      try {
        const a = await api(credential, 'GET', '/api/stats');
        if (stopped) return;
        if (a.status != 200) {
          setError(errorText(a));
        } else {
          const s = a.body;
          setError(null);
          setSamples((old) =>
            [
              ...old,
              {
                at: Date.now(),
                connections: s.totalConnections,
                deliveries: s.deliveries,
                published: s.eventsPublished,
                users: s.uniqueUsers,
                channels: s.activeChannels,
                uptime: s.uptime,
              },
            ].slice(-KEEP - 1),
          );
        }
      } catch {
        if (!stopped) setError('the daemon cannot be reached');
      }
      if (!stopped) timer = setTimeout(read, EVERY_MS);
    };
    read();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [credential]);

  const last = samples[samples.length - 1];
  const rates = samples.slice(1).map((s, i) => {
    const dt = (s.at - samples[i].at) / 1000;
    return dt > 0 ? Math.max(0, (s.deliveries - samples[i].deliveries) / dt) : 0;
  });
  return (
    <section className="panel" aria-labelledby="h-stats">
      <h2 id="h-stats">Stats</h2>
      {!credential ? (
        <p className="meta">Sign in to see the daemon's stats.</p>
      ) : error ? (
        <p className="error" role="alert">
          Stats: {error}
        </p>
      ) : !last ? (
        <p className="meta">Reading…</p>
      ) : (
        <>
          <div className="stats">
            <Figure label="Connections" value={last.connections} series={samples.map((s) => s.connections)} testId="stat-connections" />
            <Figure label="Deliveries/s" value={Math.round(rates[rates.length - 1] ?? 0)} series={rates} testId="stat-rate" />
          </div>
          <dl className="counters">
            <dt>Events published</dt>
            <dd>{last.published}</dd>
            <dt>Users</dt>
            <dd>{last.users}</dd>
            <dt>Active channels</dt>
            <dd>{last.channels}</dd>
            <dt>Uptime</dt>
            <dd>{Math.round(last.uptime)} s</dd>
          </dl>
        </>
      )}
    </section>
  );
}

function Figure({ label, value, series, testId }: { label: string; value: number; series: number[]; testId: string }) {
  return (
    <figure className="figure">
      <figcaption>
        {label} <strong data-testid={testId}>{value}</strong>
      </figcaption>
      <Sparkline series={series} label={`${label}, the last minute`} />
    </figure>
  );
}

// A line over the samples, scaled to the largest; SVG attributes, no styles.
function Sparkline({ series, label }: { series: number[]; label: string }) {
  const w = 200;
  const h = 48;
  const max = Math.max(1, ...series);
  const step = w / Math.max(1, KEEP - 1);
  const start = w - step * (series.length - 1);
  const points = series.map((v, i) => `${(start + i * step).toFixed(1)},${(h - 2 - (v / max) * (h - 4)).toFixed(1)}`).join(' ');
  return (
    <svg className="sparkline" viewBox={`0 0 ${w} ${h}`} preserveAspectRatio="none" role="img" aria-label={label}>
      <line className="sparkline__axis" x1="0" y1={h - 1} x2={w} y2={h - 1} />
      {series.length > 1 && <polyline className="sparkline__line" points={points} />}
    </svg>
  );
}
