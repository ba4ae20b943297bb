import { queueMicrotask } from '../host.js'
import type { PeerLink } from '../link/peerLink.js'
import type { MemberRecord } from '../wire/envelope.js'
import { Interests } from './interests.js'
import type { Membership } from './membership.js'

/** What a hub's gossip needs from its cluster. @internal */
export interface GossipHost {
  readonly selfId: string
  /** Every link, by peer id. */
  readonly links: ReadonlyMap<string, PeerLink>
  /** The links to hubs only (a few, where `links` may hold thousands of clients). */
  readonly hubLinks: ReadonlyMap<string, PeerLink>
  readonly membership: Membership
}

/** A row as clients see it: who a node authenticated as is the hubs' business. */
const forClients = (row: MemberRecord): MemberRecord =>
  row.principal === undefined ? row : { ...row, principal: undefined }

/**
 * Who hears of which member rows, on a hub. Hubs tell each other of every hub
 * and of their own clients (deltas as rows change, everything once when a hub
 * link comes up). A client hears of the hubs and of the nodes it sends to,
 * never the whole table, so a hub's work per client does not grow with the
 * number of clients.
 * @internal
 */
export class Gossip {
  readonly interests = new Interests()
  private pending: MemberRecord[] = []
  private scheduled = false

  constructor(private readonly host: GossipHost) {}

  /** A row changed: spread it, batched per microtask. */
  changed(row: MemberRecord): void {
    this.pending.push(row)
    if (this.scheduled) return
    this.scheduled = true
    queueMicrotask(() => this.flush())
  }

  /** What a newly linked peer learns at once: everything for a hub, the hubs for a client. */
  welcome(link: PeerLink): void {
    if (link.role === 'hub') {
      const rows = this.host.membership.list()
      link.sendControl({ type: 'gossip', members: rows.filter((row) => this.tellsHubs(row)) })
    } else {
      link.sendControl({ type: 'gossip', members: this.host.membership.hubs().map(forClients) })
    }
  }

  /** Anti-entropy: every hub link hears the hub rows again now and then. */
  refresh(): void {
    const hubs = this.host.membership.hubs()
    for (const link of this.host.hubLinks.values())
      if (link.isUp) link.sendControl({ type: 'gossip', members: hubs })
  }

  /** `client` sends to `node`: from now on it hears of `node`'s changes, starting with its row now. */
  interest(client: PeerLink, node: string): void {
    if (!this.interests.add(client.peerId, node)) return
    const row = this.host.membership.get(node)
    if (row !== undefined && row.role === 'client')
      client.sendControl({ type: 'gossip', members: [forClients(row)] })
  }

  forget(id: string): void {
    this.interests.forget(id)
  }

  /** Hubs tell other hubs of the hubs and of their own clients; other hubs' clients are theirs to tell of. */
  private tellsHubs(row: MemberRecord): boolean {
    return row.role === 'hub' || row.via === this.host.selfId
  }

  private flush(): void {
    this.scheduled = false
    const rows = this.pending
    this.pending = []
    const forHubs = rows.filter((row) => this.tellsHubs(row))
    const hubRows = rows.filter((row) => row.role === 'hub').map(forClients)
    if (forHubs.length > 0)
      for (const link of this.host.hubLinks.values())
        if (link.isUp) link.sendControl({ type: 'gossip', members: forHubs })
    if (hubRows.length > 0)
      for (const link of this.host.links.values())
        if (link.isUp && link.role === 'client') link.sendControl({ type: 'gossip', members: hubRows })
    for (const row of rows) {
      if (row.role === 'hub') continue // every client heard of it above
      for (const client of this.interests.clientsOf(row.id)) {
        const link = this.host.links.get(client)
        if (link?.isUp) link.sendControl({ type: 'gossip', members: [forClients(row)] })
      }
    }
  }
}
