import type { Clock } from './clock.js'
import type { Authenticate, Authorize } from './cluster/admission.js'
import type { ClusterSettings } from './cluster/cluster.js'
import { DEFAULTS } from './defaults.js'
import { TroupeError } from './errors.js'
import type { BackoffOptions } from './link/backoff.js'
import type { LinkOptions } from './link/peerLink.js'
import type { Transport } from './transport/transport.js'
import { assertPositiveInteger, assertPositiveNumber } from './validate.js'
import type { NodeRole } from './wire/envelope.js'

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
  /** Heartbeat period of every link. @default 250 */
  heartbeatMs?: number
  /** Silence after which a peer is suspect. @default 750 */
  suspectAfterMs?: number
  /** Silence after which a peer is down (`member-down`). @default 1_500 */
  downAfterMs?: number
  /** @default 5_000 */
  handshakeTimeoutMs?: number
  /** How long `close()` waits for peers to acknowledge queued messages. @default 2_000 */
  closeGraceMs?: number
  /** Reconnect backoff. @default { initialMs: 100, maxMs: 5_000 } */
  reconnect?: BackoffOptions
  /** Per-link queue bounds and batching; see {@link LinkOptions}. */
  link?: Partial<LinkOptions>
  /** Messages waiting for a node with no route yet. @default 100_000 */
  maxHeldMessages?: number
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
   * @default none: every node that speaks the protocol gets in
   */
  authenticate?: Authenticate
  /**
   * Hubs: may refuse each message a client sends (see {@link Authorize}); a refused
   * message is a `rejected` dead letter for its sender. @default none: clients may address any actor
   */
  authorize?: Authorize
  /** Hubs: most client connections at once; past it a client is refused with 4503 (try later). @default 10_000 */
  maxClients?: number
}

/**
 * The cluster's settings from a node's options, defaults applied and values checked.
 * @internal
 */
export function clusterSettings(options: NodeOptions): ClusterSettings {
  const transport = options.transport!
  const settings: ClusterSettings = {
    transport,
    seeds: options.seeds ?? [],
    advertiseUrl: options.advertiseUrl,
    role: options.role ?? (transport.listen === undefined ? 'client' : 'hub'),
    heartbeatMs: options.heartbeatMs ?? DEFAULTS.heartbeatMs,
    suspectAfterMs: options.suspectAfterMs ?? DEFAULTS.suspectAfterMs,
    downAfterMs: options.downAfterMs ?? DEFAULTS.downAfterMs,
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? DEFAULTS.handshakeTimeoutMs,
    reconnect: { ...DEFAULTS.reconnect, ...options.reconnect },
    link: { ...DEFAULTS.link, ...options.link },
    maxHeldMessages: options.maxHeldMessages ?? DEFAULTS.maxHeldMessages,
    random: options.random ?? Math.random,
    backgroundHeartbeatMs: options.backgroundHeartbeatMs ?? DEFAULTS.backgroundHeartbeatMs,
    token: options.token,
    admission: {
      authenticate: options.authenticate,
      authorize: options.authorize,
      maxClients: options.maxClients ?? DEFAULTS.maxClients,
    },
  }
  assertPositiveInteger('maxClients', settings.admission.maxClients)
  for (const name of [
    'heartbeatMs',
    'suspectAfterMs',
    'downAfterMs',
    'handshakeTimeoutMs',
    'backgroundHeartbeatMs',
  ] as const) {
    assertPositiveNumber(name, settings[name])
  }
  if (!(settings.suspectAfterMs < settings.downAfterMs)) {
    throw new TroupeError(
      'BAD_ARGUMENT',
      `bad suspectAfterMs ${settings.suspectAfterMs}: must be below downAfterMs ${settings.downAfterMs}`,
    )
  }
  for (const [name, value] of Object.entries(settings.link)) assertPositiveNumber(`link.${name}`, value)
  assertPositiveNumber('reconnect.initialMs', settings.reconnect.initialMs)
  assertPositiveNumber('reconnect.maxMs', settings.reconnect.maxMs)
  assertPositiveInteger('maxHeldMessages', settings.maxHeldMessages)
  return settings
}
