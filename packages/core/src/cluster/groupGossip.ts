import type { Clock, TimerHandle } from '../clock.js'
import type { GroupDirectory, NodeGroups } from '../groups/groupDirectory.js'
import { MAX_CLIENT_GROUP_ENTRIES, MAX_WATCHED_GROUPS } from '../groups/names.js'
import type { PeerLink } from '../link/peerLink.js'
import type { GroupsEnvelope, NodeRole, WatchGroupsEnvelope } from '../wire/envelope.js'
import type { Membership } from './membership.js'

/** How long a hub gathers group changes before passing them on (a tab that churns cannot flood the others). */
const SPREAD_EVERY_MS = 50

/** What group gossip needs from its cluster. @internal */
export interface GroupGossipHost {
  readonly selfId: string
  readonly role: NodeRole
  readonly clock: Clock
  readonly links: ReadonlyMap<string, PeerLink>
  readonly hubLinks: ReadonlyMap<string, PeerLink>
  readonly membership: Membership
  readonly directory: GroupDirectory
  /** The groups this node (a client) watches. */
  watched(): readonly string[]
  /** This node's own list. */
  ownList(): NodeGroups
  /** `client` hears of `node` from now on (its row first). */
  interest(client: PeerLink, node: string): void
}

/**
 * Who hears of which group lists. A node sends its own list to its hubs
 * (a hub to every hub, a client to its hub); a hub passes its clients' lists
 * on to the other hubs, so every hub knows every group. A client hears only
 * of the groups it watches: its hub sends it the lists of their members'
 * nodes, cut down to those groups (and their member rows), as they change.
 * @internal
 */
export class GroupGossip {
  /** group → clients watching it */
  private readonly watchers = new Map<string, Set<string>>()
  /** client → groups it watches */
  private readonly watching = new Map<string, Set<string>>()
  /** Nodes whose lists changed, with the groups they touched, to pass on at the next spread. */
  private pending = new Map<string, Set<string>>()
  private timer: TimerHandle | undefined

  constructor(private readonly host: GroupGossipHost) {}

  /** This node's own list changed, touching (joining or leaving) `touched`. */
  published(list: NodeGroups, touched: Set<string>): void {
    if (this.host.role === 'client') this.hubLink()?.sendControl(groupsEnvelope(list, list.entries))
    else this.spread(list.node, touched)
  }

  /** A `groups` envelope from `link`. */
  received(envelope: GroupsEnvelope, link: PeerLink): void {
    const { role, selfId, membership, directory } = this.host
    if (link.role === 'client') {
      // a client speaks for itself only, and within bounds
      const own = envelope.node === link.peerId && envelope.incarnation === link.peer?.incarnation
      if (role !== 'hub' || !own || envelope.entries.length > MAX_CLIENT_GROUP_ENTRIES * 2) {
        link.countRejected()
        return
      }
    } else if (role === 'hub') {
      // this hub is the word on its own list and its clients'
      if (envelope.node === selfId || membership.get(envelope.node)?.via === selfId) return
    }
    const touched = directory.apply(envelope, role === 'client')
    if (touched !== undefined && role === 'hub') this.spread(envelope.node, touched)
  }

  /** A client says which groups it watches: it hears of those it did not watch yet. */
  watch(envelope: WatchGroupsEnvelope, link: PeerLink): void {
    if (this.host.role !== 'hub' || link.role !== 'client') return
    const mine = this.watching.get(link.peerId) ?? new Set<string>()
    const added = envelope.groups.filter((group) => !mine.has(group))
    if (added.length === 0 || mine.size + added.length > MAX_WATCHED_GROUPS) return
    this.watching.set(link.peerId, mine)
    const nodes = new Set<string>()
    for (const group of added) {
      mine.add(group)
      this.watchers.set(group, (this.watchers.get(group) ?? new Set<string>()).add(link.peerId))
      for (const node of this.host.directory.membersOf(group).values()) nodes.add(node)
    }
    for (const node of nodes) this.tellClient(link, node)
  }

  /** A link came up: a hub hears the lists this hub speaks for; a client's hub hears its list and watches. */
  attached(link: PeerLink): void {
    if (this.host.role === 'client') {
      const own = this.host.ownList()
      if (own.entries.length > 0) link.sendControl(groupsEnvelope(own, own.entries))
      const watched = this.host.watched()
      if (watched.length > 0) link.sendControl({ type: 'watch-groups', groups: watched })
      return
    }
    if (link.role !== 'hub') return
    for (const list of this.host.directory.lists()) {
      if (list.node === this.host.selfId || this.host.membership.get(list.node)?.via === this.host.selfId)
        link.sendControl(groupsEnvelope(list, list.entries))
    }
  }

  /** `id` is gone for good: its list goes, and, if it was a client here, what it watched. */
  forget(id: string): void {
    this.host.directory.drop(id)
    this.pending.delete(id)
    for (const group of this.watching.get(id) ?? []) {
      const clients = this.watchers.get(group)
      clients?.delete(id)
      if (clients?.size === 0) this.watchers.delete(group)
    }
    this.watching.delete(id)
  }

  close(): void {
    if (this.timer !== undefined) this.host.clock.clearTimeout(this.timer)
    this.timer = undefined
  }

  private spread(node: string, touched: Set<string>): void {
    const known = this.pending.get(node)
    if (known === undefined) this.pending.set(node, touched)
    else for (const group of touched) known.add(group)
    this.timer ??= this.host.clock.setTimeout(() => this.flush(), SPREAD_EVERY_MS)
  }

  private flush(): void {
    this.timer = undefined
    const { selfId, membership, directory, hubLinks, links } = this.host
    const pending = this.pending
    this.pending = new Map()
    for (const [node, touched] of pending) {
      const list = directory.of(node)
      if (list === undefined) continue
      if (node === selfId || membership.get(node)?.via === selfId) {
        const envelope = groupsEnvelope(list, list.entries)
        for (const link of hubLinks.values()) if (link.isUp) link.sendControl(envelope)
      }
      const clients = new Set<string>()
      for (const group of touched) for (const client of this.watchers.get(group) ?? []) clients.add(client)
      for (const client of clients) {
        const link = links.get(client)
        if (link?.isUp && client !== node) this.tellClient(link, node)
      }
    }
  }

  /** Sends `client` the list of `node`, cut down to the groups it watches, after `node`'s row. */
  private tellClient(client: PeerLink, node: string): void {
    const list = this.host.directory.of(node)
    const groups = this.watching.get(client.peerId)
    if (list === undefined || groups === undefined) return
    this.host.interest(client, node)
    const entries: string[] = []
    for (let i = 0; i < list.entries.length; i += 2)
      if (groups.has(list.entries[i]!)) entries.push(list.entries[i]!, list.entries[i + 1]!)
    client.sendControl(groupsEnvelope(list, entries))
  }

  private hubLink(): PeerLink | undefined {
    for (const link of this.host.hubLinks.values()) if (link.isUp) return link
    return undefined
  }
}

function groupsEnvelope(list: NodeGroups, entries: readonly string[]): GroupsEnvelope {
  return { type: 'groups', node: list.node, incarnation: list.incarnation, rev: list.rev, entries }
}
