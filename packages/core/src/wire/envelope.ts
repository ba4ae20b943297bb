import type { DeadLetterReason } from '../actor/deadLetter.js'

/** A node's role: a hub accepts connections and relays; a client (a browser tab) only dials hubs. */
export type NodeRole = 'hub' | 'client'

/** What a node knows of a member's state. */
export type MemberStatus = 'up' | 'suspect' | 'down' | 'left'

/** One row of the member table, as spread by gossip. */
export interface MemberRecord {
  readonly id: string
  readonly role: NodeRole
  readonly incarnation: number
  readonly status: MemberStatus
  /** For a client: the hub it is connected through. */
  readonly via: string | undefined
  /** For a hub: the URL it accepts connections on. */
  readonly url: string | undefined
}

/** First envelope of a connection, from the dialing node. */
export interface HelloEnvelope {
  readonly type: 'hello'
  readonly version: number
  readonly from: string
  readonly incarnation: number
  readonly role: NodeRole
  /** The highest sequence number received from the peer's incarnation `peerIncarnation`. */
  readonly received: number
  /** The incarnation of the peer that `received` is about; 0 if the sender knows none. */
  readonly peerIncarnation: number
  readonly token: string | undefined
  readonly url: string | undefined
}

/** The accepting node's answer to a hello. */
export interface WelcomeEnvelope {
  readonly type: 'welcome'
  readonly version: number
  readonly from: string
  readonly incarnation: number
  readonly role: NodeRole
  readonly received: number
  readonly peerIncarnation: number
  readonly url: string | undefined
}

/** A user message for actor `to`, sent by node `origin` (and actor `from`, if any). */
export interface MessageEnvelope {
  readonly type: 'message'
  readonly seq: number
  readonly to: string
  readonly from: string | undefined
  readonly origin: string
  readonly body: unknown
  /** The asker's id on `origin`; 0 for a plain send. */
  readonly askId: number
  /** Milliseconds the message may still wait for an unreachable node. */
  readonly ttl: number
}

/** The answer to ask `askId` of node `node`. */
export interface ReplyEnvelope {
  readonly type: 'reply'
  readonly seq: number
  readonly node: string
  readonly askId: number
  readonly body: unknown
  /** True when `body` is an error's message (the handler failed) rather than a reply. */
  readonly failed: boolean
}

/** Tells node `node` that a message it sent became a dead letter elsewhere. */
export interface DeadEnvelope {
  readonly type: 'dead'
  readonly seq: number
  readonly node: string
  readonly to: string
  readonly from: string | undefined
  readonly body: unknown
  readonly askId: number
  readonly reason: DeadLetterReason
}

/** Cumulative: every sequenced envelope up to `seq` arrived. */
export interface AckEnvelope {
  readonly type: 'ack'
  readonly seq: number
}

/** Liveness and round-trip time: the peer echoes `sentAt` back with `echo: true`. */
export interface HeartbeatEnvelope {
  readonly type: 'heartbeat'
  readonly sentAt: number
  readonly echo: boolean
}

/** Member-table rows the sender knows. */
export interface GossipEnvelope {
  readonly type: 'gossip'
  readonly members: readonly MemberRecord[]
}

/** The sender is leaving on purpose. */
export interface ByeEnvelope {
  readonly type: 'bye'
  readonly reason: string
}

/** Everything that travels in a frame. */
export type Envelope =
  | HelloEnvelope
  | WelcomeEnvelope
  | MessageEnvelope
  | ReplyEnvelope
  | DeadEnvelope
  | AckEnvelope
  | HeartbeatEnvelope
  | GossipEnvelope
  | ByeEnvelope

/** Envelopes that carry a per-link sequence number and are acked and re-sent. */
export type SequencedEnvelope = MessageEnvelope | ReplyEnvelope | DeadEnvelope
