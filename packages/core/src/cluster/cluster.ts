import type { Clock, TimerHandle } from '../clock.js'
import type { Delivery, Standing } from '../delivery/delivery.js'
import { Backoff, type BackoffOptions } from '../link/backoff.js'
import type { HopOptions, LinkHost, LinkMetrics, PeerLink } from '../link/peerLink.js'
import { PeerLink as Link } from '../link/peerLink.js'
import type { Listener, Transport } from '../transport/transport.js'
import { dataHead, type FrameCodec } from '../wire/codec.js'
import {
  type ByeEnvelope,
  type DataEnvelope,
  destinationOf,
  type GossipEnvelope,
  type HelloEnvelope,
  type MemberRecord,
  type NodeRole,
  type RoutedControlEnvelope,
  type WelcomeEnvelope,
} from '../wire/envelope.js'
import type { AdmissionSettings, Claim } from './admission.js'
import { ClientConnector } from './clientConnector.js'
import { acceptConnection, type ConnectionsHost, dialConnection } from './connections.js'
import { ConnectionWatch } from './connectionWatch.js'
import { Gossip } from './gossip.js'
import { HubMesh } from './hubMesh.js'
import { type Member, type MemberEventName, Membership } from './membership.js'
import { checkFromClient } from './trust.js'

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

/** A node's link to the cluster, as a browser tab's UI shows it. */
export type ConnectionState = 'connecting' | 'online' | 'offline' | 'refused'

/** What the cluster needs from its node. @internal */
export interface ClusterHost {
  readonly id: string
  readonly incarnation: number
  readonly clock: Clock
  readonly codec: FrameCodec
  memberEvent(event: MemberEventName, member: Member): void
  connectionStateChanged(state: ConnectionState): void
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
  url: string | undefined
  private readonly gossip: Gossip
  private readonly watch: ConnectionWatch
  private listener: Listener | undefined
  private readonly mesh: HubMesh | undefined
  private readonly connector: ClientConnector | undefined
  private timer: TimerHandle | undefined
  private closed = false
  private ticks = 0
  /** This hub's clients with a connection up (counted, so admission never walks the links). */
  private readonly clientsUp = new Set<PeerLink>()
  private networkOnline = true
  private background = false
  private state: ConnectionState = 'connecting'
  /** Why the hubs refused this client, while they do. */
  private refusal: string | undefined
  /** The longest TTL this client's hub lets its messages wait. */
  private hubMaxTtlMs: number | undefined
  private readonly noticed = new Map<string, number>()
  private relayed = 0

  constructor(
    private readonly host: ClusterHost,
    private readonly delivery: Delivery,
    private readonly settings: ClusterSettings,
  ) {
    const self: MemberRecord = {
      id: host.id,
      role: settings.role,
      incarnation: host.incarnation,
      status: 'up',
      via: undefined,
      url: undefined,
      principal: undefined,
    }
    this.membership = new Membership(self, {
      event: (event, member) => host.memberEvent(event, member),
      changed: (member) => this.memberChanged(member),
      freed: (member) => this.memberFreed(member),
    })
    this.gossip = new Gossip(this)
    this.watch = new ConnectionWatch(this, settings, host.clock.now())
    if (settings.role === 'hub') {
      this.mesh = new HubMesh({
        selfId: host.id,
        clock: host.clock,
        seeds: settings.seeds,
        isClosed: () => this.closed,
        links: this.hubLinks,
        linkOf: (id) => this.linkOf(id),
        idOfUrl: (url) => this.idOfUrl(url),
        members: () => this.membership.others(),
        dial: (url) => dialConnection(this, url),
        makeBackoff: () => this.makeBackoff(),
      })
    } else {
      this.connector = new ClientConnector(
        {
          clock: host.clock,
          candidates: () => this.hubCandidates(),
          dial: async (url) => {
            await dialConnection(this, url)
            return this.hubLink() !== undefined
          },
          isConnected: () => this.hubLink() !== undefined,
          mayDial: () => this.networkOnline && !this.closed,
          refused: (error) => {
            this.refusal = `${error.closeCode} ${error.closeReason}`
            this.updateState()
          },
        },
        this.makeBackoff(),
      )
    }
  }

  // ---- what connections and links read ----

  get id(): string {
    return this.host.id
  }
  get selfId(): string {
    return this.host.id
  }
  get incarnation(): number {
    return this.host.incarnation
  }
  get role(): NodeRole {
    return this.settings.role
  }
  get clock(): Clock {
    return this.host.clock
  }
  get codec(): FrameCodec {
    return this.host.codec
  }
  get transport(): Transport {
    return this.settings.transport
  }
  get hop(): HopOptions {
    return this.settings.hop
  }
  get handshakeTimeoutMs(): number {
    return this.settings.handshakeTimeoutMs
  }
  get maxEarlyBytes(): number {
    return this.settings.maxEarlyBytes
  }
  get maxTtlMs(): number {
    return this.hubMaxTtlMs ?? this.settings.maxTtlMs
  }
  get admission(): AdmissionSettings {
    return this.settings.admission
  }
  get token(): ClusterSettings['token'] {
    return this.settings.token
  }
  get connectionState(): ConnectionState {
    return this.state
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
      Object.assign(this.membership.self, { url: this.url })
    }
    this.scheduleTick()
    if (this.connector !== undefined) await this.connector.ensure()
    else await this.mesh?.dialSeeds()
    this.updateState()
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
    const fromClient = link.role === 'client'
    if (fromClient && this.settings.role === 'hub') {
      const verdict = checkFromClient(link, envelope, this.settings.admission.authorize)
      if (verdict !== undefined) {
        link.countRejected()
        if (verdict.kind === 'forged') this.host.forged(link.peerId, envelope, verdict.detail)
        else this.refuse(envelope as DataEnvelope, link, verdict.detail)
        return
      }
    } else if (fromClient && (envelope.type === 'unreachable' || envelope.type === 'refused')) {
      return // only hubs speak of routes
    }
    const dest = destinationOf(envelope)
    if (dest === this.host.id) this.dispatch(envelope, link)
    else if (this.settings.role === 'hub') this.relay(envelope, dest, link)
  }

  control(envelope: GossipEnvelope | ByeEnvelope, link: PeerLink): void {
    if (envelope.type === 'bye') {
      this.observeLink(link)
      return
    }
    // membership is the hubs' business: what a client says of the cluster is not believed
    if (link.role === 'client') return
    const now = this.clock.now()
    for (const record of envelope.members) {
      this.membership.merge(record, link.peerId, (id) => this.links.get(id)?.isUp === true, now)
    }
    this.mesh?.connectHubs()
  }

  linkDown(link: PeerLink): void {
    this.observeLink(link)
    if (link.role === 'client' && this.settings.role === 'hub') {
      this.clientsUp.delete(link)
      this.watch.closed(link)
    }
    this.updateState()
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
    this.updateState()
    if (this.settings.role === 'hub') this.gossip.welcome(link)
    this.delivery.routesChanged()
    this.mesh?.connectHubs()
  }

  // ---- page controls (see nodeControls) ----

  setNetworkOnline(online: boolean): void {
    this.networkOnline = online
    this.updateState()
    if (online) this.connector?.now()
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
    if (this.refusal === undefined) this.connector?.now()
  }

  retryRefused(): void {
    this.refusal = undefined
    this.connector?.now()
    this.updateState()
  }

  metrics(): { peers: Record<string, LinkMetrics>; relayed: number; clients: number } {
    // no prototype: a peer named "__proto__" is a peer like any other
    const peers = Object.create(null) as Record<string, LinkMetrics>
    for (const [id, link] of this.links) peers[id] = link.metrics()
    return { peers, relayed: this.relayed, clients: this.clientsUp.size }
  }

  /** Waits (up to `graceMs`) for what this node sent to be acknowledged, says goodbye to every peer, and stops. */
  async close(graceMs: number): Promise<void> {
    const deadline = this.clock.now() + graceMs
    while (this.clock.now() < deadline && !this.delivery.settled) {
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, 10))
    }
    this.closed = true
    this.connector?.close()
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer)
    for (const link of this.links.values()) link.leave('node closed')
    await this.listener?.close()
  }

  // ---- inbound ----

  private dispatch(envelope: DataEnvelope | RoutedControlEnvelope, link: PeerLink): void {
    const delivery = this.delivery
    switch (envelope.type) {
      case 'ack':
        delivery.acked(envelope, link)
        return
      case 'unreachable':
        delivery.unreachableReported(envelope.node, envelope.reason)
        return
      case 'refused':
        delivery.refusedReported(envelope)
        return
      default:
        delivery.received(envelope)
    }
  }

  /**
   * Passes an envelope on toward `dest`. A hub passes on from its clients to
   * anyone, but from another hub only to its own clients, so no envelope goes
   * round between hubs that disagree on a route. Nothing is kept: if the next
   * hop is missing or full the envelope is dropped (its origin still holds it),
   * and the origin hears why.
   */
  private relay(envelope: DataEnvelope | RoutedControlEnvelope, dest: string, from: PeerLink): void {
    let next = this.routeTo(dest)
    if (next !== undefined && from.role === 'hub' && next.role === 'hub') next = undefined
    if (from.role === 'client') this.gossip.interest(from, dest)
    if (next === undefined) {
      if (envelope.type !== 'ack' && envelope.type !== 'unreachable' && envelope.type !== 'refused') {
        this.notifyUnreachable(envelope.origin, dest, from)
      }
      return
    }
    let sent: boolean
    if (envelope.type === 'ack' || envelope.type === 'unreachable' || envelope.type === 'refused') {
      const bytes = this.codec.encodeEnvelope(envelope)
      sent = next.sendData([bytes], bytes.byteLength)
    } else {
      // encoded afresh, which also copies the body out of the frame it arrived in
      const encoded = this.codec.encodeData(envelope)
      const head = dataHead(encoded, envelope.seq, envelope.base)
      sent = next.sendData([head, encoded.rest], head.byteLength + encoded.rest.byteLength)
    }
    if (sent) this.relayed++
  }

  /** Tells an origin that envelopes for `dest` went nowhere, at most every 100 ms per pair. */
  private notifyUnreachable(origin: string, dest: string, back: PeerLink): void {
    const key = `${origin}\n${dest}`
    const now = this.clock.now()
    if (now - (this.noticed.get(key) ?? Number.NEGATIVE_INFINITY) < 100) return
    this.noticed.set(key, now)
    const standing = this.standing(dest)
    const reason = standing === 'up' ? 'no-route' : standing
    back.sendControl({ type: 'unreachable', dest: origin, node: dest, reason })
  }

  /**
   * A client's own envelope that it may not send: the client hears why (it
   * dead-letters it and sends a skip in its place), and a skip goes on in its
   * place right away, so the stream does not wait on the client for that.
   */
  private refuse(envelope: DataEnvelope, link: PeerLink, detail: string): void {
    const { seq, base, origin, originIncarnation } = envelope
    const dest = destinationOf(envelope)
    link.sendControl({ type: 'refused', dest: origin, node: dest, seq, reason: 'rejected', detail })
    const skip: DataEnvelope = { type: 'skip', seq, base, origin, originIncarnation, dest }
    if (dest === this.host.id) this.delivery.received(skip)
    else this.relay(skip, dest, link)
  }

  // ---- membership ----

  private memberChanged(member: MemberRecord): void {
    if (this.settings.role === 'hub') this.gossip.changed(member)
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
    const link = this.links.get(member.id)
    if (link !== undefined && !link.isUp) this.dropLink(link)
  }

  /** Records what a link shows of its peer: its handshake, its silence, a bye. */
  observeLink(link: PeerLink): void {
    const peer = link.peer
    if (peer === undefined) return
    const known = this.membership.get(link.peerId)
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
      for (const [key, at] of this.noticed) if (now - at >= 100) this.noticed.delete(key)
    }
    if (this.ticks % 20 === 0) this.gossip.refresh()
    if (this.connector !== undefined) void this.connector.ensure()
    else if (this.hubLink() === undefined && !this.mesh?.dialingSeeds && second) void this.mesh?.dialSeeds()
    this.scheduleTick()
  }

  // ---- lookups ----

  private updateState(): void {
    // the browser's word wins: its sockets may look open while nothing gets through
    let state: ConnectionState = 'connecting'
    if (this.settings.role === 'hub') state = 'online'
    else if (!this.networkOnline) state = 'offline'
    else if (this.hubLink() !== undefined) state = 'online'
    else if (this.refusal !== undefined) state = 'refused'
    if (state === this.state) return
    this.state = state
    this.host.connectionStateChanged(state)
  }

  private hubLink(): PeerLink | undefined {
    for (const link of this.hubLinks.values()) if (link.isUp) return link
    return undefined
  }

  private hubCandidates(): string[] {
    const urls: string[] = []
    for (const link of this.hubLinks.values()) if (link.peer?.url) urls.push(link.peer.url)
    urls.push(...this.settings.seeds)
    for (const member of this.membership.others())
      if (member.role === 'hub' && member.url) urls.push(member.url)
    return [...new Set(urls)]
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
