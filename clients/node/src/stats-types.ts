// What the query ops answer (docs/protocol.md: stats, connection, user), and
// the seeds' getSystemStats() view of the statistics.
//
// The statistics document is typed member by member as this release's daemon
// sends it (src/ops/stats.cc renders it), so that reading a figure needs no
// cast; a member added by a later daemon is still there, untyped, through the
// index signature.

/** What the daemon keeps beyond a delivery (history, cache, mailboxes): how
 *  much it holds now, and how much left it by a bound or by age, ever. */
export interface KeptEventStats {
  /** Events held now. */
  events: number;
  /** Their payload bytes. */
  bytes: number;
  /** Events pushed out by a bound (count or bytes), ever. */
  evicted: number;
  /** Events that passed their ttl or the maximum age, ever. */
  expired: number;
}

/** The per-channel history that Last-Event-ID resumes read. */
export interface HistoryStats extends KeptEventStats {
  /** Channels with history kept. */
  channels: number;
}

/** The cache of persistent events given to new streams. */
export interface CacheStats extends KeptEventStats {
  /** Channels with cached events. */
  channels: number;
  /** Cached events removed by `invalidate`, ever. */
  invalidated: number;
}

/** The per-user mailboxes of retryable events for users who were offline. */
export interface MailboxStats extends KeptEventStats {
  /** Users with mail waiting. */
  users: number;
  /** Events put in a mailbox (one per user), ever. */
  mailed: number;
  /** Events handed to a stream from a mailbox, ever. */
  delivered: number;
  /** Events handed out to a stream that had gone, and kept again, ever. */
  returned: number;
  /** Retryable events whose delivery is not known yet (mail or not). */
  pending: number;
}

/** The durable store (an SQLite file) when it is off. */
export interface StoreDisabledStats {
  enabled: false;
}

/** The durable store when it is on. */
export interface StoreEnabledStats {
  enabled: true;
  /** The database file. */
  path: string;
  /** Records committed, ever. */
  written: number;
  /** Transactions committed, ever. */
  commits: number;
  /** Transactions rolled back (disk full, I/O error), ever. */
  failedCommits: number;
  /** Records dropped because too many waited to be written, ever. */
  givenUp: number;
  /** Records handed to the store and not committed yet. */
  pending: number;
  /** Milliseconds since the epoch of the last commit; 0: none yet. */
  lastCommit: number;
  /** How long the last commit took, in microseconds. */
  lastCommitUs: number;
  /** The size of the database file. */
  bytes: number;
}

export type StoreStats = StoreDisabledStats | StoreEnabledStats;

/** What streams got (history, cache, mail) before going live. */
export interface CatchUpStats {
  /**
   * Streams that got something before going live (events, or a history-gap
   * refresh), ever; a stream owed nothing is not counted.
   */
  streams: number;
  /** Streams opened with a Last-Event-ID, ever, owed something or not. */
  resumes: number;
  /**
   * Streams told history-gap: a resume whose events were gone or whose id could
   * not be placed, or a catch-up trimmed to the queue limit.
   */
  gaps: number;
  /** Events queued to streams before they went live. */
  replayed: number;
  /** Catch-ups cut to the delivery queue limit (then told history-gap). */
  trimmed: number;
  /** Live events held for streams while they caught up. */
  buffered: number;
  /** Catch-ups that waited for mail whose delivery was not known yet. */
  deferred: number;
}

/** One channel's subscribers and what they lost (`channelStats`). */
export interface ChannelDeliveryStats {
  /** Subscribers now. */
  connections: number;
  /** Events dropped from its slow subscribers' queues. */
  dropped: number;
  /** Events whose ttl passed in its subscribers' queues. */
  expired: number;
  /** Subscribers closed for falling behind. */
  disconnected: number;
}

/** Requests refused, by kind (streams and API requests alike). */
export interface RefusalStats {
  badRequest: number;
  unauthorized: number;
  forbidden: number;
  rateLimited: number;
  unavailable: number;
}

/** One shard's own counters (`shards`, in shard order). */
export interface ShardStats {
  /** The shard (c<id>-… in its connection ids). */
  id: number;
  connections: number;
  sockets: number;
  eventsSequenced: number;
  eventsDelivered: number;
  deliveries: number;
  deliveryFailures: number;
  eventsExpired: number;
  eventsDropped: number;
  eventsExpiredInQueue: number;
  droppedSlowReaders: number;
  slowReaderDisconnects: number;
  [key: string]: number;
}

/** The daemon's statistics document (`stats` op; also GET /api/stats), typed
 *  as this release's daemon sends it. Members a later daemon adds are passed
 *  through as it sends them. */
export interface RingcastStats {
  /** Open SSE streams. */
  totalConnections: number;
  /** Every open connection: streams, HTTP API requests, socket publishers. */
  sockets: number;
  /** Distinct user ids among the streams (0 while they are anonymous). */
  uniqueUsers: number;
  /** Open streams per user id: the 20 users with the most, busiest first
   *  (the rest are summed in otherUsers). */
  connectionsByUser: Record<string, number>;
  /** The users connectionsByUser leaves out: how many, and their streams. */
  otherUsers: { users: number; connections: number };
  /** Channels with at least one subscriber. */
  activeChannels: number;
  /** Events numbered (every accepted publish), ever. */
  eventsPublished: number;
  /** Publishes accepted in the last 60 seconds (a sliding window, not an average). */
  messagesPerMinute: number;
  /** The 20 channels with the most publishes in the last minute, busiest first
   *  (channels with none are not listed). */
  busiestChannels: ChannelRate[];
  /** The channels busiestChannels leaves out: how many had a publish in the last
   *  minute, and their publishes. */
  otherChannels: { channels: number; messagesPerMinute: number };
  /** Frames queued to subscribers, ever. */
  deliveries: number;
  /** Subscribers that could not take an event, ever. */
  deliveryFailures: number;
  /** Connections cut for holding more than delivery.max_queue. */
  droppedSlowReaders: number;
  /** Connections cut because a write stayed pending for delivery.write_timeout. */
  droppedStalledWriters: number;
  /** Streams closed for falling behind under slow_reader = "disconnect". */
  slowReaderDisconnects: number;
  /** Events dropped from slow readers' queues (one per stream that lost one). */
  eventsDropped: number;
  /** Events whose ttl passed while they waited in a stream's queue. */
  eventsExpiredInQueue: number;
  refused: RefusalStats;
  /** Persistent events cached for new streams (the seeds' cacheSize; cache.events). */
  cacheSize: number;
  history: HistoryStats;
  cache: CacheStats;
  mailboxes: MailboxStats;
  store: StoreStats;
  catchUp: CatchUpStats;
  /** Seconds since the daemon started. */
  uptime: number;
  /** The daemon's memory in bytes. */
  memoryUsage: MemoryUsage;
  /** The daemon's CPU time in seconds. */
  cpu: { user: number; system: number };
  /** Subscribers per channel with at least one. */
  channels: Record<string, { connections: number; [key: string]: unknown }>;
  /** Per channel: subscribers and what they lost. */
  channelStats: Record<string, ChannelDeliveryStats>;
  shards: ShardStats[];
  [key: string]: unknown;
}

/** One of the busiest channels (`busiestChannels`). */
export interface ChannelRate {
  channel: string;
  /** Publishes to it in the last 60 seconds. */
  messagesPerMinute: number;
  /** Its subscribers now. */
  connections: number;
}

/** The daemon's memory, in bytes. Not Node's process.memoryUsage(): the daemon
 *  has no JavaScript heap; heapCommitted is its allocator's (mimalloc's). */
export interface MemoryUsage {
  /** Resident set size now. */
  rss: number;
  /** The largest rss so far. */
  peakRss: number;
  /** Memory the allocator holds from the OS now (a daemon built on mimalloc only). */
  heapCommitted?: number;
  /** The most it has held (a daemon built on mimalloc only). */
  heapPeakCommitted?: number;
  [key: string]: number | undefined;
}

/** One channel in the seeds' getSystemStats() shape. */
export interface ChannelStats {
  channel: string;
  activeConnections: number;
  /** Publishes in the last minute, for the channels among the daemon's
   *  busiestChannels; absent for the others. */
  messagesPerMinute?: number;
}

/** The seeds' SSEManager.getSystemStats() shape (seed 000 reads these names). */
export interface SystemStats {
  totalConnections: number;
  activeChannels: number;
  /** Publishes in the last minute (absent only from an older daemon that did
   *  not report it). */
  messagesPerMinute?: number;
  /** Persistent events cached for new streams. */
  cacheSize: number;
  uptime: number;
  memoryUsage: RingcastStats['memoryUsage'];
  channels: ChannelStats[];
}

/** One SSE connection (`connection` op), as the seeds' getConnectionInfo(). */
export interface ConnectionInfo {
  connectionId: string;
  /** The client's address: behind a proxy listed in http.trusted_proxies, the one it names. */
  ip: string;
  /** The proxy's own address, when a trusted proxy named the client. */
  via?: string;
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

/** listConnections' options: a page of the connection list (`connections` op). */
export interface ListConnectionsOptions {
  /** At most this many connections, 1 to 1000; the daemon's default is 100. */
  limit?: number;
  /** The page starts after this connection id: a previous page's `next`. */
  after?: string;
}

/** A page of every SSE connection on every shard (`connections` op), in the
 *  daemon's order: by shard, then by connection serial. */
export interface ConnectionList {
  /** Every SSE connection now, on every shard (not only this page's). */
  total: number;
  connections: ConnectionInfo[];
  /** The id to pass as `after` for the next page; null on the last page. */
  next: string | null;
}

/** A user's presence (`user` op). */
export interface UserInfo {
  userId: string;
  connected: boolean;
  connections: ConnectionInfo[];
}
