// HTTP stand-ins for the tests of the HTTP transport: a scriptable server for
// what a healthy daemon never does on cue (hold a request, drop the connection
// after reading it, answer 503 then 200), recording every request it read and
// on which connection.
import { createServer } from 'node:http';

/** The API key the tests' daemons accept, and the config that sets it. */
export const TEST_API_KEY = 'node-client-tests-api-key';
export function apiKeyConfig(extra = '') {
  return `[publish]\napi_keys = [${JSON.stringify(TEST_API_KEY)}]\n${extra}`;
}

/**
 * A server that calls onRequest({method, url, headers, body, json, connection},
 * res, req) for every request, its body read. Resolves with { url, port,
 * requests, connections, close() }.
 */
export async function fakeHttp(onRequest) {
  const requests = [];
  const sockets = new Set();
  let connections = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      let json;
      try {
        json = body === '' ? undefined : JSON.parse(body);
      } catch {
        json = undefined;
      }
      const r = { method: req.method, url: req.url, headers: req.headers, body, json, connection: req.socket.n };
      requests.push(r);
      onRequest(r, res, req);
    });
  });
  server.on('connection', (socket) => {
    socket.n = ++connections;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    get connections() {
      return connections;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Answers JSON with a status and headers. */
export function answer(res, status, object, headers = {}) {
  const body = JSON.stringify(object);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** A port nothing listens on (bound, then released). */
export async function deadPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}
