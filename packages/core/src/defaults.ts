/**
 * Every default of the runtime, in one place. Option docs refer here, and a
 * test checks docs/api.md against this table.
 * @internal
 */
export const DEFAULTS = {
  /** Messages an actor's mailbox holds before overflow becomes `queue-full` dead letters. */
  mailboxCapacity: 10_000,
  /** How long `ask` waits for a reply. */
  askTimeoutMs: 5_000,
  /** How long a message for an unreachable node is held before it is a `ttl-expired` dead letter. */
  holdTtlMs: 10_000,
  /** The longest TTL a node accepts for its messages, and a hub lets its clients use. */
  maxTtlMs: 60_000,
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
  /** An entity's lease: another node may take it over this long after its owner stopped renewing it. */
  entityLeaseMs: 1_000,
  /** An entity without messages for this long is passivated. */
  entityIdleMs: 60_000,
  /** Heartbeat period of links between hubs; also the failure detector's tick. */
  heartbeatMs: 250,
  /** A client sends its hub a heartbeat when it has sent nothing else for this long. */
  clientHeartbeatMs: 5_000,
  /** A client's heartbeat period while its page is hidden or frozen (hubs watch it with WebSocket pings meanwhile). */
  backgroundHeartbeatMs: 5_000,
  /** Silence after which a peer is suspect. */
  suspectAfterMs: 750,
  /** Silence after which a peer is down (the promise: noticed within 2 s). */
  downAfterMs: 1_500,
  handshakeTimeoutMs: 5_000,
  /** How long `close()` waits for peers to acknowledge what this node sent. */
  closeGraceMs: 2_000,
  reconnect: { initialMs: 100, maxMs: 5_000 },
  /** Asks to a node fail fast (`CIRCUIT_OPEN`) for `coolDownMs` after `failures` in a row went unanswered. */
  circuitBreaker: { failures: 5, coolDownMs: 5_000 },
  /** Client connections a hub takes at once. */
  maxClients: 10_000,
  /** Messages (and their bytes) waiting for nodes this node cannot reach now. */
  maxHeldMessages: 100_000,
  maxHeldBytes: 64 * 1024 * 1024,
  /** Bytes queued for all other nodes together. */
  maxOutboundBytes: 256 * 1024 * 1024,
  /** Bytes a hub buffers from a connection before its handshake completes. */
  maxEarlyBytes: 65_536,
  /** How long an ask to a node nobody knows waits for gossip to bring it before failing with `NO_SUCH_NODE`. */
  unknownNodeGraceMs: 1_000,
  /** How long a hub waits for a live holder of an id to go away before refusing the id to a newcomer. */
  claimWaitMs: 1_000,
  /** How far in the future (wall clock) a client's incarnation may be. */
  maxIncarnationSkewMs: 24 * 60 * 60 * 1_000,
  link: {
    maxMessages: 100_000,
    maxBytes: 64 * 1024 * 1024,
    maxClientBytes: 4 * 1024 * 1024,
    highWaterMessages: 10_000,
    highWaterBytes: 8 * 1024 * 1024,
    maxBatchBytes: 64 * 1024,
    maxSocketBufferedBytes: 256 * 1024,
    maxQueuedBytes: 1024 * 1024,
    maxStallMs: 30_000,
    retransmitMs: 1_000,
    maxMessageBytes: 256 * 1024,
    windowMessages: 8_192,
    ackDelayMs: 25,
    deliveryTimeoutMs: 2_000,
    maxBacklogMessages: 1_024,
    maxBacklogBytes: 16 * 1024 * 1024,
  },
} as const
