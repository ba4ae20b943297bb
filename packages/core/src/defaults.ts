/**
 * Every default of the runtime, in one place. Option docs refer here.
 * @internal
 */
export const DEFAULTS = {
  /** Messages an actor's mailbox holds before overflow becomes `queue-full` dead letters. */
  mailboxCapacity: 10_000,
  /** How long `ask` waits for a reply. */
  askTimeoutMs: 5_000,
  /** How long a message for an unreachable node is held before it is a `ttl-expired` dead letter. */
  holdTtlMs: 10_000,
  supervision: {
    strategy: 'restart',
    /** Restarts allowed within `withinMs` before the actor is stopped instead. */
    maxRestarts: 10,
    withinMs: 60_000,
  },
  /** Messages one actor handles before it lets the host's event loop run. */
  throughput: 1_024,
  /** Most envelopes accepted in one frame. */
  maxEnvelopesPerFrame: 10_000,
  /** Largest frame accepted from the wire, checked before decoding. */
  maxFrameBytes: 1_048_576,
  /** Heartbeat period of every link; also the failure detector's tick. */
  heartbeatMs: 250,
  /** Heartbeat period while a browser tab is hidden or frozen (hubs watch it with WebSocket pings instead). */
  backgroundHeartbeatMs: 5_000,
  /** Silence after which a peer is suspect. */
  suspectAfterMs: 750,
  /** Silence after which a peer is down (the promise: noticed within 2 s). */
  downAfterMs: 1_500,
  handshakeTimeoutMs: 5_000,
  /** How long `close()` waits for peers to acknowledge what is queued for them. */
  closeGraceMs: 2_000,
  reconnect: { initialMs: 100, maxMs: 5_000 },
  /** Client connections a hub takes at once. */
  maxClients: 10_000,
  /** Messages waiting for a node this node has no route to yet. */
  maxHeldMessages: 100_000,
  link: {
    maxMessages: 100_000,
    maxBytes: 64 * 1024 * 1024,
    highWaterMessages: 10_000,
    highWaterBytes: 8 * 1024 * 1024,
    maxBatchBytes: 64 * 1024,
    maxSocketBufferedBytes: 256 * 1024,
    retransmitMs: 1_000,
    maxMessageBytes: 256 * 1024,
    windowMessages: 8_192,
    ackDelayMs: 25,
    deliveryTimeoutMs: 2_000,
  },
} as const
