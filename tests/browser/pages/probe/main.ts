// The browser tests' probe: one @ringcast/browser client, configured from the
// url, that records what it receives for the tests to read (window.probe).
//   ?channels=a,b     default notifications,alerts
//   &heartbeat=MS     heartbeatTimeout (default the client's, 45000)
//   &token=T          a token getter that returns window.probeToken (first T)
//   &refresh=1        refreshToken: window.renewToken() (the test provides it)
//   &shared=false     one connection per tab
//   &transport=fetch  the fetch transport (the token as Authorization: Bearer)
import { createSSEClient, type SSEClientOptions, type SSEMessage } from '@ringcast/browser';

const q = new URLSearchParams(location.search);
const w = window as any;
const options: SSEClientOptions = {
  channels: (q.get('channels') || 'notifications,alerts').split(','),
  reconnect: { baseDelay: 200, maxDelay: 1000, maxAttempts: Infinity },
  shared: q.get('shared') != 'false',
};
if (q.get('transport') == 'fetch') options.transport = 'fetch';
if (q.has('heartbeat')) options.heartbeatTimeout = Number(q.get('heartbeat'));
if (q.has('token')) {
  w.probeToken = q.get('token');
  options.token = () => w.probeToken;
}
if (q.has('refresh'))
  options.refreshToken = async () => {
    w.probeToken = await w.renewToken();
    return w.probeToken;
  };

const client = createSSEClient(options);
const received: { type: string; id: string | null; data: unknown }[] = [];
const states: string[] = [];
const out = document.createElement('pre');
document.body.append(out);
const show = () => {
  const s = client.connectionState;
  out.textContent = `${s.status} ${s.role} retry=${s.retryCount} error=${s.lastError ?? ''}\n${received.length} events`;
};
client.onMessage((m: SSEMessage) => {
  received.push({ type: m.type, id: m.id, data: m.data });
  show();
});
client.onStateChange((s) => {
  states.push(s.status);
  show();
});
w.probe = { client, received, states };
client.connect();
