import type { Clock } from './clock.js'
import type { Authenticate, Authorize } from './cluster/admission.js'
import type { ClusterSettings } from './cluster/cluster.js'
import { DEFAULTS } from './defaults.js'
import type { DeliverySettings } from './delivery/types.js'
import { TroupeError } from './errors.js'
import type { CircuitBreakerOptions } from './groups/circuitBreakers.js'
import type { BackoffOptions } from './link/backoff.js'
import type { HopOptions } from './link/peerLink.js'
import type { Storage } from './storage/storage.js'
import type { Tracing } from './tracing/tracing.js'
import type { Transport } from './transport/transport.js'
import { assertPositiveInteger, assertPositiveNumber } from './validate.js'
import type { NodeRole } from './wire/envelope.js'

/** Tuning of the traffic between this node and each other node. */
export interface LinkOptions extends HopOptions {
  /** Messages queued for one node (sent and not yet acknowledged, or waiting); past it, a send is a `queue-full` dead letter. @default 100_000 */
  maxMessages: number
  /** The same bound in bytes. @default 67_108_864 (64 MiB) */
  maxBytes: number
  /** The bound in bytes for a client node: what a tab that stops reading can cost its hub. @default 4_194_304 (4 MiB) */
  maxClientBytes: number
  /** Above this many queued for one node, `send` returns false; `drain` waits for half of it. @default 10_000 */
  highWaterMessages: number
  /** Above this many bytes, `send` returns false; `drain` waits for half of it. @default 8_388_608 (8 MiB) */
  highWaterBytes: number
  /** Send again what a node has not acknowledged after this long without progress. @default 1_000 */
  retransmitMs: number
  /** Largest encoded message; a bigger one is a `too-large` dead letter. @default 262_144 */
  maxMessageBytes: number
  /** Most messages sent to one node and not yet acknowledged (the sliding window). @default 8_192 */
  windowMessages: number
  /** How long an ack may wait to ride on a message going the other way; 1/32 of the window acks at once. @default 25 */
  ackDelayMs: number
  /**
   * How long a message waits for room in a full mailbox before it becomes a
   * `queue-full` dead letter. Meanwhile messages behind it from the same node
   * wait too and are not acknowledged, so the sender's window closes:
   * backpressure, not loss. @default 2_000
   */
  deliveryTimeoutMs: number
  /** Messages from one node kept waiting for a full mailbox; past it they are left to their sender to send again. @default 1_024 */
  maxBacklogMessages: number
  /** Bytes of messages from all nodes kept waiting for full mailboxes. @default 16_777_216 (16 MiB) */
  maxBacklogBytes: number
}

/** Options of {@link createNode}. */
export interface NodeOptions {
  /** This node's id, the part after `@` in its actors' addresses. @default a random nanoid */
  id?: string
  /** Injected for tests. @default the real clock */
  clock?: Clock
  /** Default `timeoutMs` of `ask`. @default 5_000 */
  askTimeoutMs?: number
  /** Messages one actor handles before letting the host's event loop run. @default 1_024 */
  throughput?: number
  /** How this node reaches others. Without one the node is standalone. */
  transport?: Transport
  /** The URL peers should dial, when it is not the listener's own (behind a proxy). @default the listener's URL */
  advertiseUrl?: string
  /** URLs of hubs to join the cluster through. */
  seeds?: readonly string[]
  /** `hub` accepts connections and relays; `client` only dials hubs. @default 'hub' if the transport can listen */
  role?: NodeRole
  /** Tells this process apart from earlier runs of the same node id. @default Date.now() */
  incarnation?: number
  /** Default `ttlMs` of messages to other nodes. @default 10_000 */
  holdTtlMs?: number
  /** The longest `ttlMs` a send may ask for (a hub also caps its clients' to it). @default 60_000 */
  maxTtlMs?: number
  /** Heartbeat period of links between hubs. @default 250 */
  heartbeatMs?: number
  /**
   * A client sends its hub a heartbeat when it has sent nothing else for this
   * long (the hub echoes it). Idle tabs cost their hub one round trip per
   * period each: the period sets what an idle tab costs against how soon a
   * silent tab, or a hub gone silent, is noticed (a closed connection is
   * noticed at once). @default 5_000
   */
  clientHeartbeatMs?: number
  /** Silence after which a peer is suspect. @default 750 */
  suspectAfterMs?: number
  /** Silence after which a peer is down (`member-down`). @default 1_500 */
  downAfterMs?: number
  /** How long a connection may take to complete its handshake (hello, welcome, `authenticate`). @default 5_000 */
  handshakeTimeoutMs?: number
  /** How long `close()` waits for peers to acknowledge what this node sent. @default 2_000 */
  closeGraceMs?: number
  /** Reconnect backoff. @default { initialMs: 100, maxMs: 5_000 } */
  reconnect?: BackoffOptions
  /** Per-node queue bounds, batching and flow control; see {@link LinkOptions}. */
  link?: Partial<LinkOptions>
  /** Messages waiting for nodes that cannot be reached now (the hold queue). @default 100_000 */
  maxHeldMessages?: number
  /** The hold queue's bound in bytes. @default 67_108_864 (64 MiB) */
  maxHeldBytes?: number
  /** Bytes queued for all other nodes together; past it, a send is a `queue-full` dead letter. @default 268_435_456 (256 MiB) */
  maxOutboundBytes?: number
  /** Largest frame accepted, checked before decoding. @default 1_048_576 */
  maxFrameBytes?: number
  /** Most envelopes accepted in one frame. @default 10_000 */
  maxEnvelopesPerFrame?: number
  /** Randomness for backoff jitter. @default Math.random */
  random?: () => number
  /** Sent in the handshake for hubs to authenticate; a function is called at every dial, so it can refresh. */
  token?: string | (() => string | Promise<string>)
  /** Heartbeat period while a browser tab is hidden or frozen. @default 5_000 */
  backgroundHeartbeatMs?: number
  /**
   * Hubs: checks every handshake and names who is connecting (see {@link Authenticate}).
   * @default none: every node that speaks the protocol gets in, in the role it claims
   */
  authenticate?: Authenticate
  /**
   * Hubs: may refuse each envelope with user data a client sends (see {@link Authorize});
   * a refused message is a `rejected` dead letter for its sender. @default none: clients may address any actor
   */
  authorize?: Authorize
  /**
   * Hubs: the secret hubs prove to each other. A hub sends it as its token when
   * dialing hubs, and admits a peer as a hub only with it (or when `authenticate`
   * says `role: 'hub'`). @default none
   */
  hubSecret?: string
  /** Hubs: most client connections at once; past it a client is refused with 4503 (try later). @default 10_000 */
  maxClients?: number
  /** Hubs: bytes buffered from a connection before its handshake completes; past it, closed with 4413. @default 65_536 */
  maxEarlyBytes?: number
  /** Include the stack of a handler's error in the failed reply to a remote asker. @default false */
  remoteErrorStacks?: boolean
  /**
   * Asks to a node fail fast with `CIRCUIT_OPEN` after that many in a row went
   * unanswered (timed out, node down or unreachable), for a cool-down, then one
   * trial ask goes. `false` turns it off. @default { failures: 5, coolDownMs: 5_000 }
   */
  circuitBreaker?: CircuitBreakerOptions | false
  /**
   * Traces messages: a send made within a trace carries its context, and the
   * handler runs in a child span (see {@link Tracing}; `openTelemetry()` from
   * `@troupe/core/otel`). @default none: nothing is traced, messages carry nothing
   */
  tracing?: Tracing
  /** Where entities this node hosts keep their state and leases; needed to `define` a kind. */
  storage?: Storage
  /**
   * An entity's lease: renewed every third of it while active; after its owner
   * dies another node may take the entity over this long after the last
   * renewal. Keep it at or below `downAfterMs`, so failover waits for nothing
   * but the failure detector. @default 1_000
   */
  entityLeaseMs?: number
}

/** The settings of a node's cluster and delivery layers, defaults applied and values checked. @internal */
export function clusterSettings(options: NodeOptions): {
  cluster: ClusterSettings
  delivery: DeliverySettings
} {
  const transport = options.transport!
  const role = options.role ?? (transport.listen === undefined ? 'client' : 'hub')
  const link = { ...DEFAULTS.link, ...options.link }
  for (const [name, value] of Object.entries(link)) assertPositiveNumber(`link.${name}`, value)
  const { maxQueuedBytes, maxBatchBytes, maxSocketBufferedBytes, maxStallMs } = link
  const downAfterMs = options.downAfterMs ?? DEFAULTS.downAfterMs
  const maxTtlMs = options.maxTtlMs ?? DEFAULTS.maxTtlMs
  const cluster: ClusterSettings = {
    transport,
    seeds: options.seeds ?? [],
    advertiseUrl: options.advertiseUrl,
    role,
    heartbeatMs: options.heartbeatMs ?? DEFAULTS.heartbeatMs,
    suspectAfterMs: options.suspectAfterMs ?? DEFAULTS.suspectAfterMs,
    downAfterMs,
    clientHeartbeatMs: options.clientHeartbeatMs ?? DEFAULTS.clientHeartbeatMs,
    backgroundHeartbeatMs: options.backgroundHeartbeatMs ?? DEFAULTS.backgroundHeartbeatMs,
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? DEFAULTS.handshakeTimeoutMs,
    reconnect: { ...DEFAULTS.reconnect, ...options.reconnect },
    hop: { maxQueuedBytes, maxBatchBytes, maxSocketBufferedBytes, maxStallMs },
    random: options.random ?? Math.random,
    // a hub dials other hubs with the hub secret, when there is one
    token: role === 'hub' && options.hubSecret !== undefined ? options.hubSecret : options.token,
    admission: {
      authenticate: options.authenticate,
      authorize: options.authorize,
      maxClients: options.maxClients ?? DEFAULTS.maxClients,
      hubSecret: options.hubSecret,
      maxIncarnationSkewMs: DEFAULTS.maxIncarnationSkewMs,
    },
    // a client that went down is remembered as long as anything it sent may still come back
    retentionMs: maxTtlMs + downAfterMs,
    maxTtlMs,
    maxEarlyBytes: options.maxEarlyBytes ?? DEFAULTS.maxEarlyBytes,
    claimWaitMs: DEFAULTS.claimWaitMs,
  }
  const delivery: DeliverySettings = {
    maxMessages: link.maxMessages,
    maxBytes: link.maxBytes,
    highWaterMessages: link.highWaterMessages,
    highWaterBytes: link.highWaterBytes,
    windowMessages: link.windowMessages,
    retransmitMs: link.retransmitMs,
    ackDelayMs: link.ackDelayMs,
    deliveryTimeoutMs: link.deliveryTimeoutMs,
    maxMessageBytes: link.maxMessageBytes,
    maxBacklogMessages: link.maxBacklogMessages,
    maxBacklogBytes: link.maxBacklogBytes,
    maxHeldMessages: options.maxHeldMessages ?? DEFAULTS.maxHeldMessages,
    maxHeldBytes: options.maxHeldBytes ?? DEFAULTS.maxHeldBytes,
    maxClientBytes: link.maxClientBytes,
    maxOutboundBytes: options.maxOutboundBytes ?? DEFAULTS.maxOutboundBytes,
    unknownNodeGraceMs: DEFAULTS.unknownNodeGraceMs,
  }
  assertPositiveInteger('maxClients', cluster.admission.maxClients)
  for (const name of [
    'heartbeatMs',
    'clientHeartbeatMs',
    'suspectAfterMs',
    'downAfterMs',
    'handshakeTimeoutMs',
    'backgroundHeartbeatMs',
    'maxTtlMs',
    'maxEarlyBytes',
  ] as const) {
    assertPositiveNumber(name, cluster[name])
  }
  if (!(cluster.suspectAfterMs < cluster.downAfterMs)) {
    throw new TroupeError(
      'BAD_ARGUMENT',
      `bad suspectAfterMs ${cluster.suspectAfterMs}: must be below downAfterMs ${cluster.downAfterMs}`,
    )
  }
  assertPositiveNumber('reconnect.initialMs', cluster.reconnect.initialMs)
  assertPositiveNumber('reconnect.maxMs', cluster.reconnect.maxMs)
  assertPositiveInteger('maxHeldMessages', delivery.maxHeldMessages)
  assertPositiveNumber('maxHeldBytes', delivery.maxHeldBytes)
  assertPositiveNumber('maxOutboundBytes', delivery.maxOutboundBytes)
  if (
    options.hubSecret !== undefined &&
    (typeof options.hubSecret !== 'string' || options.hubSecret.length < 16)
  ) {
    throw new TroupeError('BAD_ARGUMENT', 'bad hubSecret: use a string of at least 16 characters')
  }
  return { cluster, delivery }
}
