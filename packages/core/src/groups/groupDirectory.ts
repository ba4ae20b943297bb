import type { Address } from '../address.js'
import type { GroupsEnvelope } from '../wire/envelope.js'

/** One node's group memberships, as of its revision `rev`. */
export type NodeGroups = Pick<GroupsEnvelope, 'node' | 'incarnation' | 'rev' | 'entries'>

/**
 * Who is in which group, as this node knows it: for every node, the list of
 * its `[group, actor]` memberships at its latest revision. A newer list
 * replaces the older one whole, so lists can arrive twice or out of order.
 * Hubs know every node's list; a client knows those of the groups it watches.
 * Whether a member's node is up is the member table's business: lists of
 * nodes that are down stay here until their row is dropped.
 * @internal
 */
export class GroupDirectory {
  private readonly byNode = new Map<string, NodeGroups>()
  /** group → member address → node */
  private readonly byGroup = new Map<string, Map<Address, string>>()

  /**
   * Takes `update` if it is newer than the list known for its node (or as new,
   * with `sameRevision`: a client's hub sends a list again, cut down to more
   * groups, when the client watches more); returns the groups it touched.
   */
  apply(update: NodeGroups, sameRevision = false): Set<string> | undefined {
    const known = this.byNode.get(update.node)
    if (
      known !== undefined &&
      (update.incarnation < known.incarnation ||
        (update.incarnation === known.incarnation &&
          (update.rev < known.rev || (update.rev === known.rev && !sameRevision))))
    )
      return undefined
    const touched = new Set<string>()
    if (known !== undefined) this.unindex(known, touched)
    const { node, incarnation, rev, entries } = update
    this.byNode.set(node, { node, incarnation, rev, entries })
    for (let i = 0; i < entries.length; i += 2) {
      const group = entries[i]!
      touched.add(group)
      const members = this.byGroup.get(group) ?? new Map<Address, string>()
      this.byGroup.set(group, members)
      members.set(`${entries[i + 1]}@${node}`, node)
    }
    return touched
  }

  /** Forgets `node`'s list (its row was dropped); returns the groups it was in. */
  drop(node: string): Set<string> {
    const touched = new Set<string>()
    const known = this.byNode.get(node)
    if (known !== undefined) {
      this.byNode.delete(node)
      this.unindex(known, touched)
    }
    return touched
  }

  /** The members of `group`, with their nodes, on any node (up or not). */
  membersOf(group: string): ReadonlyMap<Address, string> {
    return this.byGroup.get(group) ?? EMPTY
  }

  /** Every group known here, with its members (on any node). */
  groups(): IterableIterator<[string, ReadonlyMap<Address, string>]> {
    return this.byGroup.entries()
  }

  of(node: string): NodeGroups | undefined {
    return this.byNode.get(node)
  }

  lists(): IterableIterator<NodeGroups> {
    return this.byNode.values()
  }

  private unindex(list: NodeGroups, touched: Set<string>): void {
    const { entries, node } = list
    for (let i = 0; i < entries.length; i += 2) {
      const group = entries[i]!
      touched.add(group)
      const members = this.byGroup.get(group)
      members?.delete(`${entries[i + 1]}@${node}`)
      if (members?.size === 0) this.byGroup.delete(group)
    }
  }
}

const EMPTY: ReadonlyMap<Address, string> = new Map()
