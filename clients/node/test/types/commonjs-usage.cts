// Compiled, never run: a CommonJS app's require() resolves the package's
// "require" condition (dist/cjs) and its declarations type-check as CommonJS.
import ringcast = require('@ringcast/node');

async function fromCommonJs(): Promise<number> {
  const rc = new ringcast.Ringcast({ url: 'http://127.0.0.1:8080', apiKey: 'k' });
  const r: ringcast.PublishResult = await rc.broadcastToChannel('orders', 'created', { id: 1 });
  const t: ringcast.StreamToken = await ringcast.createStreamToken('42');
  await ringcast.sseManager.sendToast('42', 'hi');
  return r.sent + t.expiresAt;
}

export = fromCommonJs;
