import type { Member, Node, NodeMetrics, NodeRole } from '@troupe/core'

/**
 * Who a per-peer series is about. Links and streams to hubs get one series per
 * hub (`{ peer_role: 'hub', peer: 'h2' }`); those to clients, or to nodes this
 * node has no row for, are summed into one series per role
 * (`{ peer_role: 'client' }`): a hub with 10,000 tabs exports a handful of
 * series, not 10,000 of each.
 */
export type PeerLabels = { peer_role: 'hub'; peer: string } | { peer_role: 'client' | 'unknown' }

/** One reading of a node's figures, shared by every metric of a scrape. @internal */
export interface Reading {
  readonly metrics: NodeMetrics
  readonly members: readonly Member[]
  /** The labels of a per-peer series about node `id`. */
  peer(id: string): PeerLabels
}

const CLIENT: PeerLabels = { peer_role: 'client' }
const UNKNOWN: PeerLabels = { peer_role: 'unknown' }

/**
 * Reads `node` at most once per turn of the event loop: prom-client runs every
 * metric's `collect` in one synchronous pass, so a scrape reads `metrics()` and
 * `members()` (each linear in the number of peers) once, not once per metric.
 * `onFresh` runs once per new reading, before it is handed out.
 * @internal
 */
export function createReader(node: Node, onFresh: (reading: Reading) => void): () => Reading {
  let cached: Reading | undefined
  return () => {
    if (cached !== undefined) return cached
    const members = node.members()
    const roles = new Map<string, NodeRole>()
    for (const member of members) roles.set(member.id, member.role)
    const reading: Reading = {
      metrics: node.metrics(),
      members,
      peer(id) {
        const role = roles.get(id)
        return role === 'hub' ? { peer_role: 'hub', peer: id } : role === 'client' ? CLIENT : UNKNOWN
      },
    }
    cached = reading
    queueMicrotask(() => {
      cached = undefined
    })
    onFresh(reading)
    return reading
  }
}
