import type { Clock, TimerHandle } from '../clock.js'
import type { Delivery } from '../delivery/delivery.js'
import type { Standing } from '../delivery/types.js'
import { TroupeError } from '../errors.js'
import type { GroupDirectory, NodeGroups } from '../groups/groupDirectory.js'
import { Backoff, type BackoffOptions } from '../link/backoff.js'
import { HandshakeClosedError } from '../link/handshake.js'
import type { HopOptions, LinkHost, LinkMetrics, PeerLink } from '../link/peerLink.js'
import { PeerLink as Link } from '../link/peerLink.js'
import type { Listener, Transport } from '../transport/transport.js'
import type { FrameCodec } from '../wire/codec.js'
import type {
  ByeEnvelope,
  DataEnvelope,
  GossipEnvelope,
  GroupsEnvelope,
  HelloEnvelope,
  HostsEnvelope,
  MemberRecord,
  NodeRole,
  RoutedControlEnvelope,
  WatchGroupsEnvelope,
  WelcomeEnvelope,
} from '../wire/envelope.js'
import type { AdmissionSettings, Claim } from './admission.js'
import { ClientConnector, type ConnectionState } from './clientConnector.js'
import {
  acceptConnection,
  type ConnectionsHost,
  dialConnection,
  type HandshakeSettings,
} from './connections.js'
import { ConnectionWatch } from './connectionWatch.js'
import { EnvelopeRouter } from './envelopeRouter.js'
import { Gossip } from './gossip.js'
import { GroupGossip } from './groupGossip.js'
import { HubMesh } from './hubMesh.js'
import { type Member, type MemberEventName, Membership } from './membership.js'

const NO_SUMMARY: readonly number[] = []

/** Resolved cluster settings (defaults applied by the node). @internal */
export interface ClusterSettings {
  transport: Transport
  seeds: readonly string[]
  advertiseUrl: string | undefined
  role: NodeRole
  heartbeatMs: number
  suspectAfterMs: number
  downAfterMs: number
  clientHeartbeatMs: number
  backgroundHeartbeatMs: number
  handshakeTimeoutMs: number
  reconnect: Required<BackoffOptions>
  hop: HopOptions
  random: () => number
  token: string | (() => string | Promise<string>) | undefined
  admission: AdmissionSettings
  /** How long rows of clients that went down, and their streams, are kept. */
  retentionMs: number
  maxTtlMs: number
  maxEarlyBytes: number
  /** How long a hub waits for a live holder of an id to go away before refusing the id to a newcomer. */
  claimWaitMs: number
}

/** What the cluster reads of its node's groups. @internal */
export interface ClusterGroups {
  readonly directory: GroupDirectory
  ownList(): NodeGroups
  /** The groups this node (a client) watches. */
  watchedGroups(): string[]
  loadReport(): (string | number)[]
}

/** What the cluster needs from its node. @internal */
export interface ClusterHost {
  readonly id: string
  readonly groups: ClusterGroups
  readonly incarnation: number
  readonly clock: Clock
  readonly codec: FrameCodec
  memberEvent(event: MemberEventName, member: Member): void
  /** A row of the member table changed (status, route, hosted kinds): placement may differ now. */
  membersChanged(): void
  connectionStateChanged(state: ConnectionState): void
  /** Whether asks of this node wait for answers. */
  hasPendingAsks(): boolean
  /** What a client tells its hub of itself with its heartbeats (see `HeartbeatEnvelope.summary`). */
  summary(): readonly number[]
  /** A client sent an envelope claiming to be someone else's, or only a hub's to send: dropped. */
  forged(from: string, envelope: DataEnvelope | RoutedControlEnvelope, detail: string): void
}

/**
 * Membership and links for one node: accepts and dials connections, keeps
 * the member table and spreads it, detects failed peers, and knows the route
 * to every node (its own link, its hub's, or this client's hub). Passes on
 * what is for other nodes, checking what clients send; hands what is for this
 * node to the delivery layer.
 * @internal
 */
export class Cluster implements LinkHost, ConnectionsHost {
  readonly links = new Map<string, PeerLink>()
  readonly hubLinks = new Map<string, PeerLink>()
  readonly membership: Membership
  readonly handshake: HandshakeSettings
  url: string | undefined
  private readonly gossip: Gossip
  private readonly groupGossip: GroupGossip
  private readonly watch: ConnectionWatch
  private listener: Listener | undefined
  private readonly mesh: HubMesh | undefined
  private readonly connector: ClientConnector | undefined
  private timer: TimerHandle | undefined
  private closed = false
  private ticks = 0
  /** This hub's clients with a connection up (counted, so admission never walks the links). */
  private readonly clientsUp = new Set<PeerLink>()
  private background = false
  /** Entity kinds this hub lets its clients host. */
  private readonly clientKinds = new Set<string>()
  /** Why the last dial of each URL failed, for `joined`'s error. */
  private readonly dialFailures = new Map<string, string>()
  /** The longest TTL this client's hub lets its messages wait. */
  private hubMaxTtlMs: number | undefined
  private readonly router: EnvelopeRouter
  /** When this hub last answered another hub's claim on one of its clients (see `control`). */
  private readonly reasserted = new Map<string, number>()

  constructor(
    private readonly host: ClusterHost,
    private readonly delivery: Delivery,
    private readonly settings: ClusterSettings,
  ) {
    const { transport, handshakeTimeoutMs, maxEarlyBytes, admission, token, role } = settings
    const { id, incarnation, clock, codec } = host
    this.handshake = {
      id,
      incarnation,
      role,
      clock,
      codec,
      transport,
      handshakeTimeoutMs,
      maxEarlyBytes,
      admission,
      token,
    }
    const self: MemberRecord = {
      id: host.id,
      role: settings.role,
      incarnation: host.incarnation,
      status: 'up',
      via: undefined,
      url: undefined,
      principal: undefined,
      kinds: [],
    }
    this.membership = new Membership(self, {
      event: (event, member) => host.memberEvent(event, member),
      changed: (member) => this.memberChanged(member),
      freed: (member) => this.memberFreed(member),
    })
    this.gossip = new Gossip(this)
    this.groupGossip = new GroupGossip({
      selfId: host.id,
      role: settings.role,
      clock: host.clock,
      links: this.links,
      hubLinks: this.hubLinks,
      membership: this.membership,
      directory: host.groups.directory,
      watched: () => host.groups.watchedGroups(),
      ownList: () => host.groups.ownList(),
      interest: (client, node) => this.gossip.interest(client, node),
    })
    this.router = new EnvelopeRouter({
      id: host.id,
      role: settings.role,
      clock: host.clock,
      delivery,
      authorize: settings.admission.authorize,
      routeTo: (node) => this.routeTo(node),
      standing: (node) => this.standing(node),
      interest: (client, node) => this.gossip.interest(client, node),
      forged: (from, envelope, detail) => host.forged(from, envelope, detail),
    })
    this.watch = new ConnectionWatch(this, settings, host.clock.now())
    if (settings.role === 'hub') {
      this.mesh = new HubMesh({
        selfId: host.id,
        ownUrl: () => this.url,
        clock: host.clock,
        seeds: settings.seeds,
        isClosed: () => this.closed,
        links: this.hubLinks,
        linkOf: (id) => this.linkOf(id),
        idOfUrl: (url) => this.idOfUrl(url),
        hubs: () => this.membership.hubs(),
        urlOf: (id) => this.membership.get(id)?.url,
        dial: (url) => this.dial(url),
        makeBackoff: () => this.makeBackoff(),
      })
    } else {
      this.connector = new ClientConnector(
        {
          clock: host.clock,
          candidates: () => this.hubCandidates(),
          dial: (url) => this.dial(url),
          isConnected: () => this.hubLink() !== undefined,
          isClosed: () => this.closed,
          stateChanged: (state) => host.connectionStateChanged(state),
        },
        this.makeBackoff(),
      )
    }
  }

  // ---- what connections and links read ----

  get selfId(): string {
    return this.host.id
  }
  get clock(): Clock {
    return this.host.clock
  }
  get codec(): FrameCodec {
    return this.host.codec
  }
  get hop(): HopOptions {
    return this.settings.hop
  }
  get maxTtlMs(): number {
    return this.hubMaxTtlMs ?? this.settings.maxTtlMs
  }
  get connectionState(): ConnectionState {
    return this.connector?.state ?? 'online'
  }
  isClosed(): boolean {
    return this.closed
  }

  /** Listens (hubs), dials the seeds once, and starts the heartbeat. */
  async start(): Promise<void> {
    const { transport, role } = this.settings
    if (role === 'hub' && transport.listen !== undefined) {
      this.listener = await transport.listen(
        (connection, info) => void acceptConnection(this, connection, info),
      )
      this.url = this.settings.advertiseUrl ?? this.listener.url
      this.membership.updateSelf({ url: this.url })
    }
    this.scheduleTick()
    if (this.connector !== undefined) await this.connector.ensure()
    else await this.mesh?.dialSeeds()
  }

  // ---- routes ----

  /** The link that carries envelopes for `node` now: its own, its hub's, or (for a client) this node's hub. */
  routeTo(node: string): PeerLink | undefined {
    if (this.settings.role === 'client') return node === this.host.id ? undefined : this.hubLink()
    const own = this.links.get(node)
    if (own?.isUp) return own
    const via = this.membership.get(node)?.via
    if (via === undefined || via === this.host.id) return undefined
    const hub = this.hubLinks.get(via)
    return hub?.isUp ? hub : undefined
  }

  standing(node: string): Standing {
    const status = this.membership.get(node)?.status
    if (status === undefined) return 'unknown'
    return status === 'up' || status === 'suspect' ? 'up' : status
  }

  // ---- LinkHost ----

  received(envelope: DataEnvelope | RoutedControlEnvelope, link: PeerLink): void {
    this.router.received(envelope, link)
  }

  control(
    envelope: GossipEnvelope | HostsEnvelope | GroupsEnvelope | WatchGroupsEnvelope | ByeEnvelope,
    link: PeerLink,
  ): void {
    if (envelope.type === 'bye') {
      this.observeLink(link)
      return
    }
    if (envelope.type === 'groups') this.groupGossip.received(envelope, link)
    else if (envelope.type === 'watch-groups') this.groupGossip.watch(envelope, link)
    if (envelope.type === 'groups' || envelope.type === 'watch-groups') return
    if (envelope.type === 'hosts') {
      // a client may host only what this hub lets clients host
      if (link.role === 'client' && this.settings.role === 'hub') {
        link.kinds = envelope.kinds.filter((kind) => this.clientKinds.has(kind))
        this.observeLink(link)
      }
      return
    }
    // membership is the hubs' business: what a client says of the cluster is not believed
    if (link.role === 'client') return
    const now = this.clock.now()
    const contradicted: MemberRecord[] = []
    for (const record of envelope.members) {
      if (this.membership.merge(record, link.peerId, (id) => this.links.get(id)?.isUp === true, now)) {
        const ours = this.membership.get(record.id)
        if (ours !== undefined && this.reassertDue(link.peerId, record.id, now)) contradicted.push(ours)
      }
    }
    // another hub took a client of ours for its own (an impostor there, or a move this hub has not seen end):
    // it hears our row, and believes it if its own link drops
    if (contradicted.length > 0) link.sendControl({ type: 'gossip', members: contradicted })
    this.mesh?.connectHubs()
  }

  /** At most one reassertion per client and hub a second: two hubs that each see the id live do not ping-pong. */
  private reassertDue(hub: string, client: string, now: number): boolean {
    const key = `${hub}\n${client}`
    const last = this.reasserted.get(key)
    if (last !== undefined && now - last < 1_000) return false
    if (this.reasserted.size > 10_000) this.reasserted.clear()
    this.reasserted.set(key, now)
    return true
  }

  loadReport(): (string | number)[] {
    return this.host.groups.loadReport()
  }

  awaitingAnswers(): boolean {
    return this.host.hasPendingAsks() || !this.delivery.settled
  }

  summaryReport(): readonly number[] {
    return this.settings.role === 'client' ? this.host.summary() : NO_SUMMARY
  }

  linkDown(link: PeerLink): void {
    this.observeLink(link)
    if (link.role === 'client' && this.settings.role === 'hub') {
      this.clientsUp.delete(link)
      this.watch.closed(link)
    }
    // what waited for room on the connection that ended waits for the next one, or another route
    this.delivery.linkWritable(link)
    this.delivery.routesChanged()
    if (this.connector !== undefined) void this.connector.ensure()
    else this.mesh?.redial(link)
  }

  writable(link: PeerLink): void {
    this.delivery.linkWritable(link)
  }

  // ---- ConnectionsHost ----

  linkOf(id: string): PeerLink {
    let link = this.links.get(id)
    if (link === undefined) {
      link = new Link(id, this)
      this.links.set(id, link)
    }
    return link
  }

  claimOf(hello: HelloEnvelope): Claim {
    const connectedHere = this.links.get(hello.from)?.isUp === true
    return {
      record: this.membership.get(hello.from),
      connectedHere,
      clients: this.clientsUp.size,
      released: () => this.released(hello.from, hello.incarnation),
    }
  }

  attached(link: PeerLink, peer: HelloEnvelope | WelcomeEnvelope): void {
    if (peer.role === 'hub') this.hubLinks.set(link.peerId, link)
    if (peer.type === 'welcome' && peer.role === 'hub') this.hubMaxTtlMs = peer.maxTtlMs
    if (peer.role === 'client' && this.settings.role === 'hub') {
      this.clientsUp.add(link)
      this.watch.opened(link)
    }
    this.observeLink(link)
    this.connector?.update()
    if (this.settings.role === 'hub') this.gossip.welcome(link)
    else if (this.membership.self.kinds.length > 0)
      link.sendControl({ type: 'hosts', kinds: this.membership.self.kinds })
    this.groupGossip.attached(link)
    this.delivery.routesChanged()
    this.mesh?.connectHubs()
  }

  // ---- page controls (see nodeControls) ----

  setNetworkOnline(online: boolean): void {
    this.connector?.setNetworkOnline(online)
  }

  setBackground(background: boolean): void {
    if (this.background === background) return
    this.background = background
    if (!background && this.timer !== undefined) {
      // back in the foreground: tick at the normal pace again now, not after a long background period
      this.clock.clearTimeout(this.timer)
      this.scheduleTick()
    }
  }

  reconnectNow(): void {
    this.connector?.now()
  }

  retryRefused(): void {
    this.connector?.retryRefused()
  }

  metrics(): { peers: Record<string, LinkMetrics>; relayed: number; clients: number } {
    // no prototype: a peer named "__proto__" is a peer like any other
    const peers = Object.create(null) as Record<string, LinkMetrics>
    for (const [id, link] of this.links) peers[id] = link.metrics()
    return { peers, relayed: this.router.relayed, clients: this.clientsUp.size }
  }

  /** Waits (up to `graceMs`) for what this node sent to be acknowledged, says goodbye to every peer, and stops. */
  /** This node's own group list changed: spread it. */
  publishGroups(list: NodeGroups, touched: Set<string>): void {
    this.groupGossip.published(list, touched)
  }

  /** This client watches one more group: its hub hears the whole list. */
  watchGroups(): void {
    this.hubLink()?.sendControl({ type: 'watch-groups', groups: this.host.groups.watchedGroups() })
  }

  /** The mailbox depth `node` last reported for its actor `name` (0 if it did not, or is not linked here). */
  reportedLoad(node: string, name: string): number {
    return this.links.get(node)?.load.get(name) ?? 0
  }

  /** A client's hub now (hubs: none). */
  hubId(): string | undefined {
    return this.settings.role === 'client' ? this.hubLink()?.peerId : undefined
  }

  /**
   * This node hosts entities of `kind` from now on; a hub with `clients`
   * lets its clients host that kind too (when they define it and opt in).
   */
  hostKind(kind: string, clients: boolean): void {
    if (clients) this.clientKinds.add(kind)
    const kinds = [...new Set([...this.membership.self.kinds, kind])]
    this.membership.updateSelf({ kinds })
    this.hubLink()?.sendControl({ type: 'hosts', kinds })
  }

  /**
   * Resolves once this node has joined: a client is linked to a hub; a hub to
   * a hub of the cluster (at once if it has no seeds). Rejects after
   * `timeoutMs`, or at once when the hubs refused this node, with an error
   * naming every URL tried and why it failed.
   */
  async joined(timeoutMs: number): Promise<void> {
    const alone = this.settings.role === 'hub' && this.settings.seeds.length === 0
    const deadline = this.clock.now() + timeoutMs
    while (!alone && this.hubLink() === undefined) {
      const refused = this.connector?.refusal
      if (refused !== undefined || this.clock.now() >= deadline || this.closed) {
        const tried = [...this.dialFailures].map(([url, why]) => `${url} (${why})`).join('; ')
        const what =
          refused !== undefined
            ? `the hubs refused it: ${refused}`
            : this.closed
              ? 'it closed'
              : `not within ${timeoutMs} ms`
        throw new TroupeError(
          'CONNECTION',
          `node "${this.host.id}" did not join the cluster: ${what}; tried ${tried || 'nothing yet'}`,
        )
      }
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, 25))
    }
  }

  async close(graceMs: number): Promise<void> {
    const deadline = this.clock.now() + graceMs
    while (this.clock.now() < deadline && !this.delivery.settled) {
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, 10))
    }
    this.closed = true
    this.groupGossip.close()
    this.connector?.close()
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer)
    for (const link of this.links.values()) link.leave('node closed')
    await this.listener?.close()
  }

  // ---- membership ----

  private memberChanged(member: MemberRecord): void {
    if (this.settings.role === 'hub') this.gossip.changed(member)
    this.host.membersChanged()
    const delivery = this.delivery
    if (member.status === 'up' || member.status === 'suspect') delivery.reachable(member.id)
    else delivery.nodeGone(member.id, member.status)
    if (member.role === 'hub' && member.status === 'down') this.clientsOfDownHub(member.id)
  }

  /** A hub is down: its clients are unreachable until they turn up behind another hub. */
  private clientsOfDownHub(hub: string): void {
    const now = this.clock.now()
    for (const row of [...this.membership.others()]) {
      if (row.via === hub && (row.status === 'up' || row.status === 'suspect')) {
        this.membership.observe({ ...row, status: 'down' }, now)
      }
    }
  }

  private memberFreed(member: MemberRecord): void {
    this.delivery.forget(member.id)
    this.gossip.forget(member.id)
    this.groupGossip.forget(member.id)
    const link = this.links.get(member.id)
    if (link !== undefined && !link.isUp) this.dropLink(link)
  }

  /** Records what a link shows of its peer: its handshake, its silence, a bye. */
  observeLink(link: PeerLink): void {
    const peer = link.peer
    if (peer === undefined) return
    const known = this.membership.get(link.peerId)
    if (!link.isUp && known !== undefined && known.incarnation > peer.incarnation) {
      // the link is to an earlier run of the peer, which membership knows has restarted: it says nothing now
      if (known.role === 'hub') this.mesh?.connectHubs()
      return
    }
    if (
      !link.isUp &&
      known?.via !== undefined &&
      known.via !== this.host.id &&
      known.incarnation >= peer.incarnation
    ) {
      // a client that moved to another hub is that hub's to report now: this link is no longer needed
      this.dropLink(link)
      return
    }
    const elsewhere = link.isUp ? undefined : this.membership.elsewhereSince(link.peerId, link.attachedAt)
    if (
      elsewhere !== undefined &&
      elsewhere.via !== this.host.id &&
      elsewhere.incarnation >= peer.incarnation
    ) {
      // another hub said the client is behind it while this link was still up: believed now that it is down
      this.membership.observe(elsewhere, this.clock.now())
      this.dropLink(link)
      return
    }
    const isOurClient = peer.role === 'client' && this.settings.role === 'hub'
    this.membership.observe(
      {
        id: link.peerId,
        role: peer.role,
        incarnation: peer.incarnation,
        status: this.watch.statusOf(link, this.clock.now()),
        via: isOurClient ? this.host.id : undefined,
        url: peer.url,
        principal: link.principal,
        // a hub tells of its kinds itself (gossip); a client's are the ones it said and this hub accepted
        kinds: isOurClient ? link.kinds : known?.incarnation === peer.incarnation ? known.kinds : [],
      },
      this.clock.now(),
    )
  }

  /** Waits up to `claimWaitMs` for the live holder of `id` to go away, polling. */
  private async released(id: string, incarnation: number): Promise<boolean> {
    const deadline = this.clock.now() + this.settings.claimWaitMs
    for (;;) {
      const record = this.membership.get(id)
      const held = record?.status === 'up' && record.incarnation !== incarnation
      if (!held) return true
      if (this.clock.now() >= deadline || this.closed) return false
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, 25))
    }
  }

  private dropLink(link: PeerLink): void {
    if (this.links.get(link.peerId) === link) this.links.delete(link.peerId)
    if (this.hubLinks.get(link.peerId) === link) this.hubLinks.delete(link.peerId)
    this.clientsUp.delete(link)
    this.watch.forget(link)
  }

  // ---- time ----

  private scheduleTick(): void {
    const { heartbeatMs, backgroundHeartbeatMs } = this.settings
    this.timer = this.clock.setTimeout(
      () => this.tick(),
      this.background ? backgroundHeartbeatMs : heartbeatMs,
    )
  }

  private tick(): void {
    if (this.closed) return
    const now = this.clock.now()
    this.watch.tick(now, this.background)
    this.delivery.tick(now)
    const second = ++this.ticks % 4 === 0
    if (second) {
      this.membership.expire(now, this.settings.retentionMs)
      this.delivery.forgetSilent(now, this.settings.retentionMs)
      this.router.tick(now)
    }
    if (this.ticks % 20 === 0) this.gossip.refresh()
    if (this.connector !== undefined) void this.connector.ensure()
    else if (second && this.mesh !== undefined) {
      // a seed or a known hub that a fault kept apart is tried again: no partition outlives its cause
      if (!this.mesh.dialingSeeds) void this.mesh.dialSeeds()
      this.mesh.connectHubs()
    }
    this.scheduleTick()
  }

  // ---- lookups ----

  /** Dials `url`, remembering why it failed if it does. */
  private async dial(url: string): Promise<PeerLink | undefined> {
    try {
      const link = await dialConnection(this, url)
      this.dialFailures.delete(url)
      return link
    } catch (error) {
      const why =
        error instanceof HandshakeClosedError
          ? `${error.closeCode} ${error.closeReason}`
          : (error as Error).message
      this.dialFailures.set(url, why)
      throw error
    }
  }

  private hubLink(): PeerLink | undefined {
    for (const link of this.hubLinks.values()) if (link.isUp) return link
    return undefined
  }

  /**
   * Hub URLs to try, best first: the seeds and the hubs known to be up, then
   * the rest; a hub this client just lost comes last (a stopped process still
   * accepts TCP connections, and would hold a dial until it times out).
   */
  private hubCandidates(): string[] {
    const urls: string[] = [...this.settings.seeds]
    for (const member of this.membership.others())
      if (member.role === 'hub' && member.url) urls.push(member.url)
    const lost = new Set<string>()
    for (const link of this.hubLinks.values()) if (link.peer?.url && !link.isUp) lost.add(link.peer.url)
    const unique = [...new Set(urls)]
    return [...unique.filter((url) => !lost.has(url)), ...unique.filter((url) => lost.has(url))]
  }

  private idOfUrl(url: string): string | undefined {
    for (const link of this.hubLinks.values()) if (link.peer?.url === url) return link.peerId
    return undefined
  }

  private makeBackoff(): Backoff {
    const { initialMs, maxMs } = this.settings.reconnect
    return new Backoff(initialMs, maxMs, this.settings.random)
  }
}
