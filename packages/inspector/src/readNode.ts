import type { LinkMetrics, Member, Node, NodeMetrics, StreamMetrics } from '@troupe/core'
import type { DeadLetterRow, LinkRow, MemberRow, NodeView, Rows, StreamRow } from './protocol.js'

/** Rows of each kind in a view unless told otherwise. */
export const DEFAULT_ROWS = 50
/** Focused ids honoured per request. */
export const MAX_FOCUS = 16

/** What {@link readNode} is told. */
export interface ReadOptions {
  /** Node ids listed first whatever the limit. */
  focus?: readonly string[]
  /** Most rows of each kind. @default 50 */
  limit?: number
  /** The recent dead letters to include. */
  deadLetters?: readonly DeadLetterRow[]
  /** When the node's figures were read (ms since the epoch), if not now (a cached reading). @default Date.now() */
  at?: number
}

const STATUS_RANK: Record<string, number> = { up: 0, suspect: 1, down: 2, left: 3 }

/** What {@link readNode} reads: a node, or a cache in front of one. */
export type Readable = Pick<Node, 'id' | 'connectionState' | 'members' | 'metrics'>

/**
 * Reads a node into a {@link NodeView} of bounded size: the node itself and
 * the focused ids always (beyond `limit`), then up to `limit` rows of each
 * kind, hubs first, alive members before gone ones. It walks the member table
 * and the links once (no sort of the whole table), so a hub with 10,000 tabs
 * answers in linear time.
 */
export function readNode(node: Readable, options: ReadOptions = {}): NodeView {
  const limit = Math.max(1, Math.floor(options.limit ?? DEFAULT_ROWS))
  const focus = new Set((options.focus ?? []).slice(0, MAX_FOCUS))
  const metrics = node.metrics()
  const members = node.members()
  const roles = new Map(members.map((member) => [member.id, member.role]))
  const self = members[0]

  const memberCounts: Record<string, number> = {}
  for (const member of members) {
    const key = `${member.role} ${member.status}`
    memberCounts[key] = (memberCounts[key] ?? 0) + 1
  }

  // rank 0: always listed; then by rank, up to the limit
  const memberRank = (m: Member): number =>
    m.id === node.id || focus.has(m.id) ? 0 : m.role === 'hub' ? 1 : 2 + (STATUS_RANK[m.status] ?? 4)
  const links = Object.entries(metrics.peers)
  const linkRank = ([peer, link]: [string, LinkMetrics]): number =>
    focus.has(peer) ? 0 : roles.get(peer) === 'hub' ? 1 : link.connected ? 2 : 3
  const streams = Object.entries(metrics.streams)
  const streamRank = ([peer, stream]: [string, StreamMetrics]): number =>
    focus.has(peer) ? 0 : stream.unreachable !== undefined ? 1 : roles.get(peer) === 'hub' ? 2 : 3

  return {
    id: node.id,
    role: self?.role ?? 'hub',
    at: options.at ?? Date.now(),
    connectionState: node.connectionState,
    figures: figuresOf(metrics),
    deadLetters: { ...metrics.deadLetters },
    memberCounts,
    members: pick(members, memberRank, limit, toMemberRow),
    links: pick(links, linkRank, limit, ([peer, link]) => toLinkRow(peer, roles.get(peer), link)),
    streams: pick(streams, streamRank, limit, ([peer, stream]) => toStreamRow(peer, stream)),
    recentDeadLetters: [...(options.deadLetters ?? [])],
    groups: { ...metrics.groups },
    entities: { ...metrics.entities },
    circuits: Object.entries(metrics.circuits)
      .slice(0, limit)
      .map(([id, circuit]) => ({ node: id, ...circuit })),
  }
}

/** Every number at the top level of `metrics` (the figures a node reports, present and future). */
function figuresOf(metrics: NodeMetrics): Record<string, number> {
  const figures: Record<string, number> = {}
  for (const [name, value] of Object.entries(metrics)) if (typeof value === 'number') figures[name] = value
  return figures
}

/** Items of rank 0, then the first `limit` others by rank (lower first, then in the order given), in one pass. */
function pick<T, R>(
  items: readonly T[],
  rank: (item: T) => number,
  limit: number,
  row: (item: T) => R,
): Rows<R> {
  const always: T[] = []
  const byRank: T[][] = []
  for (const item of items) {
    const r = rank(item)
    if (r === 0) {
      always.push(item)
      continue
    }
    const bucket = byRank[r] ?? []
    byRank[r] = bucket
    if (bucket.length < limit) bucket.push(item)
  }
  const chosen = always
  let others = 0
  for (const bucket of byRank) {
    for (const item of bucket ?? []) {
      if (others === limit) break
      chosen.push(item)
      others++
    }
  }
  return { total: items.length, rows: chosen.map(row), omitted: items.length - chosen.length }
}

const toMemberRow = (m: Member): MemberRow => ({
  id: m.id,
  role: m.role,
  status: m.status,
  incarnation: m.incarnation,
  via: m.via,
  url: m.url,
})

const toLinkRow = (peer: string, role: LinkRow['role'], link: LinkMetrics): LinkRow => ({
  peer,
  role,
  connected: link.connected,
  connects: link.connects,
  queuedBytes: link.queuedBytes,
  framesIn: link.framesIn,
  framesOut: link.framesOut,
  bytesIn: link.bytesIn,
  bytesOut: link.bytesOut,
  rejected: link.rejected,
  rttMs: link.rttMs,
})

const toStreamRow = (node: string, stream: StreamMetrics): StreamRow => ({
  node,
  queued: stream.queued,
  queuedBytes: stream.queuedBytes,
  inFlight: stream.inFlight,
  unreachable: stream.unreachable,
})
