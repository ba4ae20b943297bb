import type { DeadLetterReason } from '../actor/deadLetter.js'
import type { Clock } from '../clock.js'
import type { PeerLink } from '../link/peerLink.js'
import type { FrameCodec } from '../wire/codec.js'
import type { DataEnvelope, UnreachableReason } from '../wire/envelope.js'

/** Resolved settings of the delivery layer (see `LinkOptions` and `NodeOptions`). @internal */
export interface DeliverySettings {
  maxMessages: number
  maxBytes: number
  highWaterMessages: number
  highWaterBytes: number
  windowMessages: number
  retransmitMs: number
  ackDelayMs: number
  deliveryTimeoutMs: number
  maxMessageBytes: number
  maxBacklogMessages: number
  maxBacklogBytes: number
  maxHeldMessages: number
  maxHeldBytes: number
  /** The bound per destination in bytes for a client destination (a tab that stops reading costs at most this). */
  maxClientBytes: number
  /** All streams together, in bytes. */
  maxOutboundBytes: number
  unknownNodeGraceMs: number
}

/** How a node stands in this node's member table. @internal */
export type Standing = 'up' | 'unknown' | 'down' | 'left'

/** What the delivery layer needs from its node and cluster. @internal */
export interface DeliveryHost {
  readonly id: string
  readonly incarnation: number
  readonly clock: Clock
  readonly codec: FrameCodec
  /** The link toward `node` now: its own, its hub's, or (for a client) this node's hub; undefined while none. */
  routeTo(node: string): PeerLink | undefined
  standing(node: string): Standing
  /** Whether `node` is a client (a tab), as far as this node knows. */
  isClient(node: string): boolean
  /** Hands an in-order envelope for this node over; false means no room now (a full mailbox), unless `force`. */
  deliver(envelope: DataEnvelope, force: boolean): boolean
  /** An envelope this node sent ended undelivered. */
  undeliverable(envelope: DataEnvelope, reason: DeadLetterReason, detail?: string): void
  /** `node` cannot be reached: asks to it fail now. */
  unreachable(node: string, reason: 'down' | 'left' | 'unknown'): void
}

/** The outcome of sending: queued (above the high-water mark or not), or refused and why. */
export type SendResult = 'queued' | 'backpressure' | { reason: DeadLetterReason; detail: string }

/** What waits for one destination node. */
export interface StreamMetrics {
  /** Messages not yet acknowledged by it, sent or not. */
  queued: number
  queuedBytes: number
  /** Of those, sent and waiting for its ack. */
  inFlight: number
  /** Why it cannot be reached now, if it cannot. */
  unreachable: UnreachableReason | undefined
}

/** Figures of the delivery layer, part of `node.metrics()`. */
export interface DeliveryMetrics {
  /** Messages sent and not yet acknowledged by their destination node. */
  queued: number
  /** Of those, the ones waiting for a node that cannot be reached now (the hold queue). */
  held: number
  heldBytes: number
  /** Messages, replies and dead-letter reports this node sent to other nodes. */
  sent: number
  /** Those it received from other nodes and took in (each once). */
  received: number
  /** Envelopes sent again (after a reconnect, a lost frame or a route change). */
  resent: number
  /** Envelopes that arrived a second time and were dropped. */
  duplicatesDropped: number
  /** Envelopes that arrived ahead of a missing one and were dropped (their origin resends). */
  outOfOrderDropped: number
  /** What waits for each destination node that has anything waiting. */
  streams: Record<string, StreamMetrics>
}
