// What the query ops answer (docs/protocol.md: stats, connection, user), and
// the seeds' getSystemStats() view of the statistics.

/** The daemon's statistics document (`stats` op; also GET /api/stats). Members
 *  beyond these are passed through as the daemon sends them. */
export interface RingcastStats {
  /** Open SSE streams. */
  totalConnections: number;
  /** Distinct user ids among them (0 while connections are anonymous). */
  uniqueUsers: number;
  /** Open streams per user id. */
  connectionsByUser: Record<string, number>;
  activeChannels: number;
  /** Seconds since the daemon started. */
  uptime: number;
  memoryUsage: { rss: number; [key: string]: number };
  channels: Record<string, { connections: number; [key: string]: unknown }>;
  sockets?: number;
  eventsPublished?: number;
  deliveries?: number;
  deliveryFailures?: number;
  [key: string]: unknown;
}

/** One channel in the seeds' getSystemStats() shape. */
export interface ChannelStats {
  channel: string;
  activeConnections: number;
  /** Present when the daemon reports it. */
  messagesPerMinute?: number;
}

/** The seeds' SSEManager.getSystemStats() shape (seed 000 reads these names). */
export interface SystemStats {
  totalConnections: number;
  activeChannels: number;
  /** Present when the daemon reports it (this release does not). */
  messagesPerMinute?: number;
  /** Present when the daemon reports it (this release has no message cache). */
  cacheSize?: number;
  uptime: number;
  memoryUsage: RingcastStats['memoryUsage'];
  channels: ChannelStats[];
}

/** One SSE connection (`connection` op), as the seeds' getConnectionInfo(). */
export interface ConnectionInfo {
  connectionId: string;
  /** null for an anonymous connection. */
  userId: string | null;
  channels: string[];
  /** Milliseconds since the epoch. */
  connectedAt: number;
  /** Milliseconds since the epoch. */
  lastActivity: number;
  /** Bytes waiting to be written to the subscriber. */
  queuedBytes: number;
  [key: string]: unknown;
}

/** A user's presence (`user` op). */
export interface UserInfo {
  userId: string;
  connected: boolean;
  connections: ConnectionInfo[];
}
