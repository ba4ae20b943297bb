import type { ConnectionState, MemberStatus, NodeRole } from '@troupe/core'

/** The name of the actor {@link serveInspector} spawns on a hub; tabs ask `troupe.inspector@<hub id>`. */
export const INSPECTOR_ACTOR = 'troupe.inspector'

/** What a tab asks the inspector actor. Every field is optional; bad values are replaced by defaults. */
export interface InspectorRequest {
  readonly type: 'inspect'
  /** Node ids to list first, whatever the limit (the asking tab's own, so it always sees itself). At most 16. */
  readonly focus?: readonly string[]
  /** Most rows of members, links and destinations in the answer besides the focused ones; the hub caps it. */
  readonly limit?: number
}

/** A member as the inspector shows it (no principal: hubs never tell clients who a node authenticated as). */
export interface MemberRow {
  readonly id: string
  readonly role: NodeRole
  readonly status: MemberStatus
  readonly incarnation: number
  readonly via: string | undefined
  readonly url: string | undefined
}

/** One link of the node, to a peer. */
export interface LinkRow {
  readonly peer: string
  /** The peer's role, if the node has a row for it. */
  readonly role: NodeRole | undefined
  readonly connected: boolean
  readonly connects: number
  readonly queuedBytes: number
  readonly framesIn: number
  readonly framesOut: number
  readonly bytesIn: number
  readonly bytesOut: number
  readonly rejected: number
  readonly rttMs: number | undefined
}

/** What waits for one destination node (sent and not yet acknowledged by it). */
export interface StreamRow {
  readonly node: string
  readonly queued: number
  readonly queuedBytes: number
  readonly inFlight: number
  readonly unreachable: string | undefined
}

/** A recent dead letter, without its message (which may be large or private). */
export interface DeadLetterRow {
  /** The node's clock (ms) when it happened. */
  readonly at: number
  readonly to: string
  readonly from: string | undefined
  readonly reason: string
  readonly detail: string | undefined
}

/** Rows of one kind: the first `limit` (focused ones first), and how many were left out. */
export interface Rows<T> {
  readonly total: number
  readonly rows: readonly T[]
  readonly omitted: number
}

/**
 * One reading of a node, bounded in size whatever the cluster's: what the
 * inspector shows for a tab's own node, and what the inspector actor answers
 * for its hub. It is made of sendable values only.
 */
export interface NodeView {
  readonly id: string
  readonly role: NodeRole
  /** The node's clock (ms since the epoch) when it was read: rates come from two views. */
  readonly at: number
  readonly connectionState: ConnectionState
  /**
   * Every number of `node.metrics()` (actors, pendingAsks, sent, received,
   * delivered, relayed, clients, queued, held, heldBytes, resent, …), so
   * figures that nodes add later show up without a new inspector.
   */
  readonly figures: Readonly<Record<string, number>>
  readonly deadLetters: Readonly<Record<string, number>>
  /** Members by `role status` (`'client up': 9812`), over the whole table. */
  readonly memberCounts: Readonly<Record<string, number>>
  readonly members: Rows<MemberRow>
  readonly links: Rows<LinkRow>
  readonly streams: Rows<StreamRow>
  /** The last dead letters, newest last (only those since the inspector started watching). */
  readonly recentDeadLetters: readonly DeadLetterRow[]
  /** The groups the node knows, with their members up (the node reports the first 100 by name). */
  readonly groups: Readonly<Record<string, number>>
  /** The entities the node hosts: active, activated, failovers, passivated, forwarded, fenced. */
  readonly entities: Readonly<Record<string, number>>
  /** The circuit breakers of the nodes it asks that failed lately. */
  readonly circuits: readonly CircuitRow[]
}

/** A node's circuit breaker, seen from the node that asks it. */
export interface CircuitRow {
  readonly node: string
  readonly state: 'closed' | 'open' | 'half-open'
  readonly failures: number
  readonly opened: number
}
