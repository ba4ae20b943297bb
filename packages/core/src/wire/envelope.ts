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
  /** Who the node authenticated as; hubs tell each other, never clients. */
  readonly principal: string | undefined
  /** The entity kinds the node hosts (it defined them). */
  readonly kinds: readonly string[]
}

/** First envelope of a connection, from the dialing node. */
export interface HelloEnvelope {
  readonly type: 'hello'
  readonly version: number
  readonly from: string
  readonly incarnation: number
  readonly role: NodeRole
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
  readonly url: string | undefined
  /** The longest TTL this hub lets a client's messages wait for; clients cap theirs to it. */
  readonly maxTtlMs: number
}

/**
 * What every data envelope carries: its place in the end-to-end stream from
 * `origin` (incarnation `originIncarnation`) to the node it is for.
 */
export interface StreamHeader {
  /** Position in the stream, from 1; never reused by the same origin incarnation. */
  readonly seq: number
  /** The first position the origin has not seen acknowledged: a receiver that knows the stream from nothing starts here. */
  readonly base: number
  readonly origin: string
  readonly originIncarnation: number
}

/** A user message for actor `to`, from actor `from` (if an actor sent it). */
export interface MessageEnvelope extends StreamHeader {
  readonly type: 'message'
  readonly to: string
  readonly from: string | undefined
  /** The asker's id on `origin`; 0 for a plain send. */
  readonly askId: number
  /** The encoded message (see `encodeValue`). */
  readonly body: Uint8Array
  /** W3C trace context (`traceparent` and, after a space, `tracestate`), only when a trace is active. */
  readonly trace: string | undefined
}

/**
 * Ask ids are below 2^30 so V8 keeps them small integers: a larger one in any
 * letter turns the `askId` of every letter on the node into a boxed number and
 * makes local sends several times slower. They also take 5 bytes on the wire, not 9.
 */
export const MAX_ASK_ID = 2 ** 30 - 1

/** The answer to ask `askId` of node `dest`. */
export interface ReplyEnvelope extends StreamHeader {
  readonly type: 'reply'
  readonly dest: string
  readonly askId: number
  /** True when `body` is the handler's error rather than a reply. */
  readonly failed: boolean
  readonly body: Uint8Array
}

/** Tells node `dest` that a message it sent to `to` became a dead letter. */
export interface DeadEnvelope extends StreamHeader {
  readonly type: 'dead'
  readonly dest: string
  readonly to: string
  readonly from: string | undefined
  readonly askId: number
  readonly reason: DeadLetterReason
  readonly body: Uint8Array
}

/**
 * Stands in for a data envelope that will never be delivered (a hub refused
 * it, or its TTL ran out at its origin), so the stream goes on past it.
 */
export interface SkipEnvelope extends StreamHeader {
  readonly type: 'skip'
  readonly dest: string
}

/**
 * End to end: node `from` (incarnation `fromIncarnation`) has every envelope of
 * the stream from `dest`'s incarnation `destIncarnation` up to `seq`. With
 * `gap`, a later one arrived first: resend from `seq + 1` now.
 */
export interface AckEnvelope {
  readonly type: 'ack'
  readonly from: string
  readonly fromIncarnation: number
  readonly dest: string
  readonly destIncarnation: number
  readonly seq: number
  readonly gap: boolean
}

/** Why a hub could not pass envelopes on to a node. */
export type UnreachableReason = 'unknown' | 'down' | 'left' | 'no-route'

/** A hub tells node `dest` that it dropped envelopes for `node` and why: the origin keeps them and waits. */
export interface UnreachableEnvelope {
  readonly type: 'unreachable'
  readonly dest: string
  readonly node: string
  readonly reason: UnreachableReason
}

/**
 * A hub tells node `dest` that it refused the envelope at `seq` of its stream
 * to `node` (`authorize`, or a spoofed sender): the origin dead-letters it and
 * sends a skip in its place.
 */
export interface RefusedEnvelope {
  readonly type: 'refused'
  readonly dest: string
  readonly node: string
  readonly seq: number
  readonly reason: DeadLetterReason
  readonly detail: string
}

/** Liveness and round-trip time: the peer echoes `sentAt` back with `echo: true`. */
export interface HeartbeatEnvelope {
  readonly type: 'heartbeat'
  readonly sentAt: number
  readonly echo: boolean
  /**
   * The sender's load: `[actor, mailbox depth, ...]` for its group members
   * with mail waiting (a few at most), read by groups that pick the least loaded.
   */
  readonly load: readonly (string | number)[]
  /**
   * A client's summary of itself, for its hub's metrics: `[sent, received,
   * dead letters, actors, asks pending, messages held]` (empty from hubs).
   */
  readonly summary: readonly number[]
}

/** Member-table rows the sender knows. */
export interface GossipEnvelope {
  readonly type: 'gossip'
  readonly members: readonly MemberRecord[]
}

/** A client tells its hub which entity kinds it hosts (it defined them and opted in). */
export interface HostsEnvelope {
  readonly type: 'hosts'
  readonly kinds: readonly string[]
}

/**
 * The group memberships of `node`'s actors, as of its revision `rev`: the whole
 * list (`[group, actor, group, actor, ...]`), which replaces any older one.
 * A node sends its own; hubs pass on those they know to other hubs, and to
 * the clients that watch the groups.
 */
export interface GroupsEnvelope {
  readonly type: 'groups'
  readonly node: string
  readonly incarnation: number
  readonly rev: number
  readonly entries: readonly string[]
}

/** A client tells its hub which groups it wants to hear of (all of them, each time). */
export interface WatchGroupsEnvelope {
  readonly type: 'watch-groups'
  readonly groups: readonly string[]
}

/** The sender is leaving on purpose. */
export interface ByeEnvelope {
  readonly type: 'bye'
  readonly reason: string
}

/** Envelopes sequenced end to end, kept by their origin until acknowledged. */
export type DataEnvelope = MessageEnvelope | ReplyEnvelope | DeadEnvelope | SkipEnvelope

/** Envelopes addressed to a node and passed on by hubs, without being sequenced. */
export type RoutedControlEnvelope = AckEnvelope | UnreachableEnvelope | RefusedEnvelope

/** Everything that travels in a frame. */
export type Envelope =
  | HelloEnvelope
  | WelcomeEnvelope
  | DataEnvelope
  | RoutedControlEnvelope
  | HeartbeatEnvelope
  | GossipEnvelope
  | HostsEnvelope
  | GroupsEnvelope
  | WatchGroupsEnvelope
  | ByeEnvelope

/** The node an envelope that travels through the cluster is for. */
export function destinationOf(envelope: DataEnvelope | RoutedControlEnvelope): string {
  return envelope.type === 'message' ? envelope.to.slice(envelope.to.indexOf('@') + 1) : envelope.dest
}
