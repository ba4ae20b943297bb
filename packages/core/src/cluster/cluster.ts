import type { DeadLetterReason } from '../actor/deadLetter.js'
import type { Clock, TimerHandle } from '../clock.js'
import { queueMicrotask } from '../host.js'
import { Backoff, type BackoffOptions } from '../link/backoff.js'
import { awaitHello, dial, type Handshaken } from '../link/handshake.js'
import type { OutboxEntry } from '../link/outbox.js'
import {
  type LinkHost,
  type LinkMetrics,
  type LinkOptions,
  PeerLink,
  type Refusal,
} from '../link/peerLink.js'
import {
  CLOSE_CODES,
  type Connection,
  type ConnectionInfo,
  type Listener,
  type Transport,
} from '../transport/transport.js'
import type { FrameCodec } from '../wire/codec.js'
import { PROTOCOL_VERSION } from '../wire/codes.js'
import type {
  ByeEnvelope,
  GossipEnvelope,
  HelloEnvelope,
  MemberRecord,
  MemberStatus,
  NodeRole,
  SequencedEnvelope,
  WelcomeEnvelope,
} from '../wire/envelope.js'
import { type AdmissionSettings, admit, checkFromClient } from './admission.js'
import { ClientConnector } from './clientConnector.js'
import { HoldQueue } from './holdQueue.js'
import { HubMesh } from './hubMesh.js'
import { type Member, type MemberEventName, Membership } from './membership.js'

/** Resolved cluster settings (defaults applied by the node). @internal */
export interface ClusterSettings {
  transport: Transport
  seeds: readonly string[]
  advertiseUrl: string | undefined
  role: NodeRole
  heartbeatMs: number
  suspectAfterMs: number
  downAfterMs: number
  handshakeTimeoutMs: number
  reconnect: Required<BackoffOptions>
  link: LinkOptions
  maxHeldMessages: number
  random: () => number
  /** Heartbeat period while the page is hidden or frozen (browsers throttle timers anyway). */
  backgroundHeartbeatMs: number
  /** Sent in the handshake for the hub to authenticate; a function is called at every dial (for refresh). */
  token: string | (() => string | Promise<string>) | undefined
  admission: AdmissionSettings
}

/** A node's link to the cluster, as a browser tab's UI shows it. */
export type ConnectionState = 'connecting' | 'online' | 'offline' | 'refused'

/** What the cluster needs from its node. @internal */
export interface ClusterHost {
  readonly id: string
  readonly incarnation: number
  readonly clock: Clock
  readonly codec: FrameCodec
  /** An envelope arrived (in order, once); false if a full mailbox cannot take it yet (see {@link LinkHost.deliver}). */
  receive(envelope: SequencedEnvelope, from: string, force: boolean): boolean
  /** An envelope could not be delivered. */
  undeliverable(envelope: SequencedEnvelope, reason: DeadLetterReason, detail?: string): void
  memberEvent(event: MemberEventName, member: Member): void
  connectionStateChanged(state: ConnectionState): void
}

/** The outcome of routing an envelope to another node: queued (above the high-water mark or not), or refused. */
export type RouteResult = 'queued' | 'backpressure' | Refusal

/**
 * Layers 3–5 for one node: routes envelopes to peer links (directly, through
 * a hub, or into the hold queue), dials and accepts connections, keeps the
 * member table, spreads it by gossip and detects failed peers.
 * @internal
 */
export class Cluster implements LinkHost {
  readonly links = new Map<string, PeerLink>()
  readonly membership: Membership
  readonly hold: HoldQueue
  url: string | undefined
  private listener: Listener | undefined
  /** A hub's dialing of the other hubs; clients have a connector instead. */
  private readonly mesh: HubMesh | undefined
  private timer: TimerHandle | undefined
  private closed = false
  private changed: MemberRecord[] = []
  private gossipScheduled = false
  private ticks = 0
  /** A client's way back to a hub; hubs have none. */
  private readonly connector: ClientConnector | undefined
  private networkOnline = true
  private background = false
  private state: ConnectionState = 'connecting'
  /** Why the hubs refused this client, while they do. */
  private refusal: string | undefined

  constructor(
    private readonly host: ClusterHost,
    private readonly settings: ClusterSettings,
  ) {
    const self: MemberRecord = {
      id: host.id,
      role: settings.role,
      incarnation: host.incarnation,
      status: 'up',
      via: undefined,
      url: undefined,
    }
    this.membership = new Membership(
      self,
      (event, member) => host.memberEvent(event, member),
      (member) => this.gossipChange(member),
    )
    this.hold = new HoldQueue(settings.maxHeldMessages)
    if (settings.role === 'hub') {
      this.mesh = new HubMesh({
        selfId: host.id,
        clock: host.clock,
        seeds: settings.seeds,
        isClosed: () => this.closed,
        links: this.links,
        linkOf: (id) => this.linkOf(id),
        idOfUrl: (url) => this.idOfUrl(url),
        members: () => this.membership.others(),
        dial: (url, expected) => this.dialUrl(url, expected),
        makeBackoff: () => this.makeBackoff(),
      })
    }
    if (settings.role === 'client') {
      this.connector = new ClientConnector(
        {
          clock: host.clock,
          candidates: () => this.hubCandidates(),
          dial: async (url) => {
            await this.dialUrl(url, this.idOfUrl(url))
            return this.hasHubLink()
          },
          isConnected: () => this.hasHubLink(),
          mayDial: () => this.networkOnline && !this.closed,
          refused: (error) => {
            this.refusal = `${error.code} ${error.reason}`
            this.updateState()
          },
        },
        this.makeBackoff(),
      )
    }
  }

  get selfIncarnation(): number {
    return this.host.incarnation
  }
  get clock(): Clock {
    return this.host.clock
  }
  get codec(): FrameCodec {
    return this.host.codec
  }
  get options(): LinkOptions {
    return this.settings.link
  }

  get connectionState(): ConnectionState {
    return this.state
  }

  /** Listens (hubs), dials the seeds once, and starts the heartbeat. */
  async start(): Promise<void> {
    const { transport, role } = this.settings
    if (role === 'hub' && transport.listen !== undefined) {
      this.listener = await transport.listen((connection, info) => void this.accept(connection, info))
      this.url = this.settings.advertiseUrl ?? this.listener.url
      Object.assign(this.membership.self, { url: this.url })
    }
    this.scheduleTick()
    if (this.connector !== undefined) await this.connector.ensure()
    else await this.mesh?.dialSeeds()
    this.updateState()
  }

  // ---- what the page tells a client (see nodeControls) ----

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

  /** Sends a sequenced envelope toward `node`: its link, a hub it sits behind, or the hold queue. */
  route(envelope: SequencedEnvelope, node: string, deadline: number): RouteResult {
    const link = this.linkFor(node)
    if (link === undefined) {
      if (this.hold.hold({ node, envelope, deadline })) return 'queued'
      return { reason: 'queue-full', detail: `the hold queue is full (${this.hold.size} messages)` }
    }
    return link.enqueue(envelope, deadline) ?? (link.outbox.aboveHighWater ? 'backpressure' : 'queued')
  }

  /** Resolves once the link that carries messages for `node` is below its low-water mark. */
  drain(node: string): Promise<void> {
    return this.linkFor(node)?.drain() ?? Promise.resolve()
  }

  metrics(): Record<string, LinkMetrics> {
    const peers: Record<string, LinkMetrics> = {}
    for (const [id, link] of this.links) peers[id] = link.metrics()
    return peers
  }

  /**
   * Waits (up to `graceMs`) for connected peers to acknowledge what is queued
   * for them, says goodbye to every peer, and stops. Envelopes still queued
   * are returned to the node.
   */
  async close(graceMs: number): Promise<SequencedEnvelope[]> {
    const deadline = this.clock.now() + graceMs
    while (this.clock.now() < deadline && [...this.links.values()].some((l) => l.isUp && l.outbox.size > 0)) {
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, 10))
    }
    this.closed = true
    this.connector?.close()
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer)
    for (const link of this.links.values()) link.leave('node closed')
    await this.listener?.close()
    const left: SequencedEnvelope[] = this.hold.clear().map((h) => h.envelope)
    for (const link of this.links.values()) left.push(...link.outbox.clear().map((e) => e.envelope))
    return left
  }

  // ---- LinkHost ----

  deliver(envelope: SequencedEnvelope, link: PeerLink, force: boolean): boolean {
    if (envelope.type === 'message' && link.peer?.role === 'client' && this.settings.role === 'hub') {
      const refusal = checkFromClient(link, envelope, this.settings.admission.authorize)
      if (refusal !== undefined) {
        link.countRejected()
        // the dead letter goes back to the link's own node, whatever the envelope claimed
        this.host.undeliverable({ ...envelope, origin: link.peerId }, refusal.reason, refusal.detail)
        return true
      }
    }
    return this.host.receive(envelope, link.peerId, force)
  }

  control(envelope: GossipEnvelope | ByeEnvelope, link: PeerLink): void {
    if (envelope.type === 'bye') {
      this.observeLink(link)
      return
    }
    // membership is the hubs' business: what a client says of the cluster is not believed
    if (link.peer?.role === 'client' && this.settings.role === 'hub') return
    for (const record of envelope.members) {
      this.membership.merge(record, link.peerId, (id) => this.links.get(id)?.isUp === true)
    }
    this.mesh?.connectHubs()
    this.releaseHeld()
  }

  linkDown(link: PeerLink): void {
    this.observeLink(link)
    this.updateState()
    if (this.connector !== undefined) void this.connector.ensure()
    else this.mesh?.redial(link)
  }

  expired(entry: OutboxEntry): void {
    this.host.undeliverable(entry.envelope, 'ttl-expired')
  }

  // ---- connections ----

  private async accept(connection: Connection, info: ConnectionInfo): Promise<void> {
    let handshake: Handshaken<HelloEnvelope>
    try {
      handshake = await awaitHello(connection, this.codec, this.clock, this.settings.handshakeTimeoutMs)
    } catch {
      return // the handshake closed the connection and said why
    }
    const hello = handshake.envelope
    if (this.closed || hello.from === this.host.id) {
      connection.close(CLOSE_CODES.PROTOCOL_ERROR, this.closed ? 'node closed' : 'that is my own node id')
      return
    }
    const verdict = await admit(
      hello,
      info,
      this.links.get(hello.from),
      this.clientCount(),
      this.settings.admission,
    )
    if ('close' in verdict) {
      connection.close(...verdict.close)
      return
    }
    const link = this.linkOf(hello.from)
    if (link.isUp && !this.replaces(link, false)) {
      connection.close(CLOSE_CODES.REPLACED, 'a connection to this node is already up')
      return
    }
    link.principal = verdict.principal
    const knowsThisProcess = link.peer?.incarnation === hello.incarnation
    const welcome: WelcomeEnvelope = {
      type: 'welcome',
      version: PROTOCOL_VERSION,
      from: this.host.id,
      incarnation: this.host.incarnation,
      role: this.settings.role,
      received: knowsThisProcess ? link.receivedSeq : 0,
      peerIncarnation: knowsThisProcess ? hello.incarnation : 0,
      url: this.url,
    }
    connection.send(this.codec.encode([welcome]))
    this.attach(link, handshake, hello, false)
  }

  /** Dials `url`; the peer's id is known for reconnects, not for seeds. */
  private async dialUrl(url: string, expected: string | undefined): Promise<PeerLink | undefined> {
    const known = expected === undefined ? undefined : this.links.get(expected)
    const hello: HelloEnvelope = {
      type: 'hello',
      version: PROTOCOL_VERSION,
      from: this.host.id,
      incarnation: this.host.incarnation,
      role: this.settings.role,
      received: known?.peer === undefined ? 0 : known.receivedSeq,
      peerIncarnation: known?.peer?.incarnation ?? 0,
      token: typeof this.settings.token === 'function' ? await this.settings.token() : this.settings.token,
      url: this.url,
    }
    const handshake = await dial(
      this.settings.transport,
      url,
      hello,
      this.codec,
      this.clock,
      this.settings.handshakeTimeoutMs,
    )
    const welcome = handshake.envelope
    const link = welcome.from === this.host.id ? undefined : this.linkOf(welcome.from)
    if (this.closed || link === undefined || (link.isUp && !this.replaces(link, true))) {
      handshake.connection.close(CLOSE_CODES.NORMAL, 'not needed')
      return link
    }
    const knowsThisProcess = link.peer?.incarnation === welcome.incarnation
    if (
      knowsThisProcess &&
      (hello.peerIncarnation !== welcome.incarnation || hello.received !== link.receivedSeq)
    ) {
      // our hello did not say what we have from this very process (we dialed a seed URL): say it again
      handshake.connection.close(CLOSE_CODES.NORMAL, 'redialing with the right state')
      return this.dialUrl(url, welcome.from)
    }
    this.attach(link, handshake, welcome, true)
    return link
  }

  private attach(
    link: PeerLink,
    handshake: Handshaken<unknown>,
    peer: HelloEnvelope | WelcomeEnvelope,
    dialed: boolean,
  ): void {
    link.attach(handshake.connection, peer, dialed, handshake.early)
    if (this.connector !== undefined && peer.role === 'hub') this.moveToHub(link)
    this.observeLink(link)
    this.updateState()
    // a new link first learns everything this node knows (a client has nothing to teach)
    if (this.settings.role === 'hub') link.sendControl({ type: 'gossip', members: this.membership.list() })
    this.releaseHeld()
    this.mesh?.connectHubs()
  }

  /**
   * Two connections between the same pair: keep the one dialed by the smaller
   * node id; a reconnect from the side that dialed the old one replaces it.
   */
  private replaces(link: PeerLink, newDialedByUs: boolean): boolean {
    if (link.dialed === newDialedByUs) return true
    const smallerIsUs = this.host.id < link.peerId
    return newDialedByUs === smallerIsUs
  }

  // ---- membership, failure detection, gossip ----

  private observeLink(link: PeerLink): void {
    const peer = link.peer
    if (peer === undefined) return
    const known = this.membership.get(link.peerId)
    // a client that moved to another hub is that hub's to report now
    if (
      !link.isUp &&
      known?.via !== undefined &&
      known.via !== this.host.id &&
      known.incarnation >= peer.incarnation
    )
      return
    this.membership.observe({
      id: link.peerId,
      role: peer.role,
      incarnation: peer.incarnation,
      status: this.statusOf(link),
      via: peer.role === 'client' && this.settings.role === 'hub' ? this.host.id : undefined,
      url: peer.url,
    })
  }

  /** The failure detector: silence past `suspectAfterMs` is suspect, past `downAfterMs` down. */
  private statusOf(link: PeerLink): MemberStatus {
    if (link.left) return 'left'
    const silent = this.clock.now() - link.lastHeard
    if (silent >= this.settings.downAfterMs) return 'down'
    if (!link.isUp || silent >= this.settings.suspectAfterMs) return 'suspect'
    return 'up'
  }

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
    for (const link of this.links.values()) {
      if (link.isUp && now - link.lastHeard >= this.settings.downAfterMs) {
        link.detach(CLOSE_CODES.GOING_AWAY, 'peer stopped answering')
        this.mesh?.redial(link)
      }
      link.tick(now)
      link.expire(now)
      this.observeLink(link)
    }
    for (const held of this.hold.expire(now)) this.host.undeliverable(held.envelope, 'ttl-expired')
    // anti-entropy: now and then, every hub link hears the whole table again
    if (++this.ticks % 20 === 0) {
      const members = this.membership.list()
      for (const link of this.links.values())
        if (link.peer?.role === 'hub') link.sendControl({ type: 'gossip', members })
    }
    if (this.connector !== undefined) void this.connector.ensure()
    else if (!this.hasHubLink() && !this.mesh?.dialingSeeds && this.ticks % 4 === 0)
      void this.mesh?.dialSeeds()
    this.scheduleTick()
  }

  private gossipChange(member: MemberRecord): void {
    if (member.role === 'client' && member.status === 'up')
      queueMicrotask(() => this.rerouteClient(member.id))
    this.changed.push(member)
    if (this.gossipScheduled) return
    this.gossipScheduled = true
    queueMicrotask(() => {
      this.gossipScheduled = false
      const members = this.changed
      this.changed = []
      for (const link of this.links.values()) if (link.isUp) link.sendControl({ type: 'gossip', members })
    })
  }

  private releaseHeld(): void {
    for (const node of this.hold.nodes()) {
      if (this.linkFor(node) === undefined) continue
      for (const held of this.hold.release(node)) {
        const result = this.route(held.envelope, node, held.deadline)
        if (typeof result === 'object') this.host.undeliverable(held.envelope, result.reason, result.detail)
      }
    }
  }

  /**
   * A client just linked to `hub`: what it had queued for the hubs it is no
   * longer linked to (except what was for those hubs themselves) now goes
   * through `hub`. At-least-once: the old hub may have had some of it.
   */
  private moveToHub(hub: PeerLink): void {
    for (const link of this.links.values()) {
      if (link === hub || link.isUp || link.peer?.role !== 'hub') continue
      const moving = link.outbox.take((e) => targetOf(e.envelope) !== link.peerId)
      for (const entry of moving) {
        const result = hub.enqueue(entry.envelope, entry.deadline)
        if (result !== undefined) this.host.undeliverable(entry.envelope, result.reason, result.detail)
      }
    }
  }

  /**
   * A client is up behind a hub (maybe a new one): what this node queued for it
   * on links that are down (its old hub's, or its own old link) follows it.
   */
  private rerouteClient(client: string): void {
    for (const link of this.links.values()) {
      if (link.isUp || link.outbox.size === 0) continue
      for (const entry of link.outbox.take((e) => targetOf(e.envelope) === client)) {
        const result = this.route(entry.envelope, client, entry.deadline)
        if (typeof result === 'object') this.host.undeliverable(entry.envelope, result.reason, result.detail)
      }
    }
  }

  private updateState(): void {
    // the browser's word wins: its sockets may look open while nothing gets through
    let state: ConnectionState = 'connecting'
    if (this.settings.role === 'hub') state = 'online'
    else if (!this.networkOnline) state = 'offline'
    else if (this.hasHubLink()) state = 'online'
    else if (this.refusal !== undefined) state = 'refused'
    if (state === this.state) return
    this.state = state
    this.host.connectionStateChanged(state)
  }

  private hubCandidates(): string[] {
    const urls: string[] = []
    for (const link of this.links.values())
      if (link.peer?.role === 'hub' && link.peer.url) urls.push(link.peer.url)
    urls.push(...this.settings.seeds)
    for (const member of this.membership.others())
      if (member.role === 'hub' && member.url) urls.push(member.url)
    return [...new Set(urls)]
  }

  private idOfUrl(url: string): string | undefined {
    for (const link of this.links.values()) if (link.peer?.url === url) return link.peerId
    return undefined
  }

  // ---- lookups ----

  /** The link that carries envelopes for `node`: its own, or its hub's (or, for a client, its hub). */
  private linkFor(node: string): PeerLink | undefined {
    const own = this.links.get(node)
    const member = this.membership.get(node)
    // a hub's own link queues while it reconnects; a client's only while it has not moved to another hub
    const moved = member?.role === 'client' && member.via !== undefined && member.via !== this.host.id
    if (own?.peer !== undefined && (own.isUp || !moved)) return own
    const via = member?.via
    if (via !== undefined && via !== this.host.id) {
      const hub = this.links.get(via)
      if (hub?.peer !== undefined) return hub
    }
    if (this.settings.role === 'client') {
      for (const link of this.links.values()) if (link.isUp && link.peer?.role === 'hub') return link
    }
    return undefined
  }

  private linkOf(id: string): PeerLink {
    let link = this.links.get(id)
    if (link === undefined) {
      link = new PeerLink(id, this)
      this.links.set(id, link)
    }
    return link
  }

  private clientCount(): number {
    let count = 0
    for (const link of this.links.values()) if (link.isUp && link.peer?.role === 'client') count++
    return count
  }

  private hasHubLink(): boolean {
    for (const link of this.links.values()) if (link.isUp && link.peer?.role === 'hub') return true
    return false
  }

  private makeBackoff(): Backoff {
    const { initialMs, maxMs } = this.settings.reconnect
    return new Backoff(initialMs, maxMs, this.settings.random)
  }
}

/** The node an envelope is for. @internal */
export function targetOf(envelope: SequencedEnvelope): string {
  return envelope.type === 'message' ? envelope.to.slice(envelope.to.indexOf('@') + 1) : envelope.node
}
