// @ringcast/node: publish to ringcastd from Node backends.
//
//   src/index.ts             this list of exports
//   src/default-instance.ts  sseManager / SSEManager and the seeds' free functions
//   src/ringcast.ts          Ringcast: the seeds' operations, one request each
//   src/messages.ts          what each operation publishes (plain data)
//   src/conventions.ts       the channels and event names the operations use
//   src/transport.ts         what Ringcast needs from a transport (ops, replies, events)
//   src/client.ts            the socket: pipelining, deadlines, queue, reconnect
//   src/socket-errors.ts     why a socket cannot be reached, said clearly
//   src/http-client.ts       HTTP: the same ops over undici's keep-alive pool
//   src/http-routes.ts       each op's HTTP route, and its answer as the socket's reply
//   src/pending.ts           one request until it is settled
//   src/backoff.ts           reconnect delays
//   src/line-splitter.ts     reply stream → lines
//   src/options.ts           settings, the socket path rule, RINGCAST_URL
//   src/errors.ts            RingcastError and its codes
//   src/types.ts, src/stats-types.ts, src/alert-types.ts   the shapes sent and received

export * from './default-instance.js';
export { Ringcast, type LogLevel, type RingcastOptions, type SendOptions, type UserNotifier, type BroadcastNotifier } from './ringcast.js';
export { RingcastClient } from './client.js';
export { RingcastHttpClient } from './http-client.js';
export type { ConnectionState, Reply, RequestOptions, RingcastClientEvents, Transport } from './transport.js';
export { RingcastError, type ClientErrorCode, type DaemonErrorCode } from './errors.js';
export {
  type ClientOptions,
  type HttpClientOptions,
  DEV_SOCKET_PATH,
  SYSTEM_SOCKET_PATH,
  defaultSocketPath,
} from './options.js';
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
export type * from './alert-types.js';
