// @ringcast/node: publish to ringcastd from Node backends.
//
//   src/index.ts             this list of exports
//   src/default-instance.ts  sseManager / SSEManager and the seeds' free functions
//   src/ringcast.ts          Ringcast: the seeds' operations, one request each
//   src/messages.ts          what each operation publishes (plain data)
//   src/conventions.ts       the channels and event names the operations use
//   src/client.ts            the socket: pipelining, deadlines, queue, reconnect
//   src/pending.ts           one request until it is settled
//   src/backoff.ts           reconnect delays
//   src/line-splitter.ts     reply stream → lines
//   src/options.ts           settings and the socket path
//   src/errors.ts            RingcastError and its codes
//   src/types.ts, src/stats-types.ts   the shapes sent and received

export * from './default-instance.js';
export { Ringcast, type RingcastOptions, type SendOptions, type UserNotifier, type BroadcastNotifier } from './ringcast.js';
export {
  RingcastClient,
  type ConnectionState,
  type Reply,
  type RequestOptions,
  type RingcastClientEvents,
} from './client.js';
export { RingcastError, type ClientErrorCode, type DaemonErrorCode } from './errors.js';
export { type ClientOptions, DEFAULT_SOCKET_PATH, defaultSocketPath } from './options.js';
export { ADMIN_ROLE, CHANNELS, EVENTS, TOAST_DEFAULTS } from './conventions.js';
export type {
  AudienceFixedOptions,
  NotificationPayload,
  NotificationType,
  RefreshOptions,
  SystemEventPayload,
  ToastOptions,
  ToastType,
} from './messages.js';
export * as messages from './messages.js';
export type * from './types.js';
export type * from './stats-types.js';
