// @ringcast/browser: the client of ringcast's SSE endpoints for browsers.
// No dependencies; the React part is '@ringcast/browser/react'. docs/browser.md.
import { SSEClient } from './client.js';
import type { SSEClientOptions } from './types.js';

export { byPriority } from './alerts.js';
export { backoffDelay } from './backoff.js';
export { EVENT_NAMES, SSEClient } from './client.js';
export { createSSEParser, type SSEParserHandlers } from './parser.js';
export type * from './types.js';

/** A client for `options.url` (default `/api/sse/stream`); call `connect()` to open it. */
export function createSSEClient(options?: SSEClientOptions): SSEClient {
  return new SSEClient(options);
}
