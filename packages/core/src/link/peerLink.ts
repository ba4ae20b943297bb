import type { Clock, TimerHandle } from '../clock.js'
import type { ProtocolError } from '../errors.js'
import { queueMicrotask } from '../host.js'
import { CLOSE_CODES, type Connection } from '../transport/transport.js'
import { bodyIsLast, type FrameCodec, joinFrame } from '../wire/codec.js'
import type {
  ByeEnvelope,
  DataEnvelope,
  Envelope,
  GossipEnvelope,
  GroupsEnvelope,
  HeartbeatEnvelope,
  HostsEnvelope,
  NodeRole,
  RoutedControlEnvelope,
  WatchGroupsEnvelope,
} from '../wire/envelope.js'
import { DataQueue } from './dataQueue.js'

/** Tuning of one hop: how a link writes to its socket. */
export interface HopOptions {
  /** Most bytes of envelopes in one frame. @default 65_536 */
  maxBatchBytes: number
  /** Above this many bytes waiting in the socket, the link holds data back in its own queue. @default 262_144 */
  maxSocketBufferedBytes: number
  /** Most bytes of data a link queues while its socket is full; past it, data waits at its origin. @default 1_048_576 */
  maxQueuedBytes: number
  /** A peer whose socket stays full this long (it reads nothing) is closed with 4429. @default 30_000 */
  maxStallMs: number
}

/** What the link knows of the peer from its handshake. @internal */
export interface PeerHandshake {
  readonly incarnation: number
  readonly role: NodeRole
  readonly url: string | undefined
}

/** Per-link figures, reported by `node.metrics()`. */
export interface LinkMetrics {
  connected: boolean
  /** Connections this link has had: 1 + reconnects. */
  connects: number
  /** Bytes of data waiting for room in the socket. */
  queuedBytes: number
  framesOut: number
  framesIn: number
  bytesOut: number
  bytesIn: number
  /** Envelopes from this peer refused: a spoofed sender, a forged answer, or refused by `authorize`. */
  rejected: number
  /** Last measured round-trip time, if any. */
  rttMs: number | undefined
  /** What the peer, a client, last reported of itself with its heartbeats. */
  reported?: ClientSummary
}

/** What a client reports of itself to its hub, for the hub's metrics. */
export interface ClientSummary {
  /** Messages it sent and received, in all; dead letters on it, in all. */
  sent: number
  received: number
  deadLetters: number
  actors: number
  pendingAsks: number
  /** Messages it holds for nodes it cannot reach now. */
  held: number
}

/** The link's owner: the cluster. @internal */
export interface LinkHost {
  readonly clock: Clock
  readonly codec: FrameCodec
  readonly hop: HopOptions
  /** A data envelope or a routed control envelope arrived from this peer. */
  received(envelope: DataEnvelope | RoutedControlEnvelope, link: PeerLink): void
  control(
    envelope: GossipEnvelope | HostsEnvelope | GroupsEnvelope | WatchGroupsEnvelope | ByeEnvelope,
    link: PeerLink,
  ): void
  /** What heartbeats tell of this node's load (see {@link HeartbeatEnvelope.load}). */
  loadReport(): readonly (string | number)[]
  /** What this node's heartbeats tell its hub of it (see {@link HeartbeatEnvelope.summary}); empty for a hub. */
  summaryReport(): readonly number[]
  linkDown(link: PeerLink, code: number, reason: string): void
  /** The link's data queue has room again after refusing data. */
  writable(link: PeerLink): void
}

/** A body this big goes into frames from where its origin keeps it; a smaller one is copied. */
const LARGE_BODY_BYTES = 1_024

/**
 * The one owner of the connection to one peer node (the per-peer task
 * pattern): nobody else writes to its socket. One hop only: it batches what it
 * is given into frames (control envelopes first), holds data while the socket
 * is full (up to a bound), measures round trips and hears the peer's
 * liveness. It keeps nothing once written: the end-to-end delivery layer
 * above it resends what a dropped connection lost.
 * @internal
 */
export class PeerLink {
  connection: Connection | undefined
  peer: PeerHandshake | undefined
  /** Clock time of the last frame (or pong) from the peer. */
  lastHeard: number
  /** Clock time of the last frame written to the peer. */
  lastSent = 0
  /** Whether this side dialed the current connection. */
  dialed = false
  /** The peer said goodbye: it left on purpose. */
  left = false
  /** Who the peer authenticated as (hubs with an `authenticate` hook). */
  principal: string | undefined
  /** The entity kinds a client peer said it hosts and this hub accepted. */
  kinds: readonly string[] = []
  private control: Uint8Array[] | undefined
  private controlBytes = 0
  private readonly data: DataQueue
  /** The queue refused data: tell the host when there is room again. */
  private full = false
  private flushScheduled = false
  private retryTimer: TimerHandle | undefined
  private stalledSince: number | undefined
  private echoOwed: number | undefined
  private readonly counters = { connects: 0, framesOut: 0, framesIn: 0, bytesOut: 0, bytesIn: 0, rejected: 0 }
  private rttMs: number | undefined
  /** The mailbox depths of the peer's group members, as its last heartbeat reported them. */
  load: ReadonlyMap<string, number> = NO_LOAD
  /** What the peer (a client) last said of itself. */
  reported: ClientSummary | undefined
  /** When the current (or last) connection took over. */
  attachedAt = 0
  /** When this side last sent a heartbeat (not an echo). */
  lastHeartbeatAt = 0

  constructor(
    readonly peerId: string,
    private readonly host: LinkHost,
  ) {
    this.lastHeard = host.clock.now()
    this.data = new DataQueue(host.hop.maxBatchBytes)
  }

  get isUp(): boolean {
    return this.connection !== undefined
  }

  get role(): NodeRole | undefined {
    return this.peer?.role
  }

  /** Counts the connections this link has had: a new one means what was written on the last may be lost. */
  get epoch(): number {
    return this.counters.connects
  }

  /** Round-trip time measured by heartbeats, if any yet. */
  get rtt(): number | undefined {
    return this.rttMs
  }

  /** Takes over `connection` after a completed handshake. */
  attach(connection: Connection, peer: PeerHandshake, dialed: boolean, early: readonly Uint8Array[]): void {
    this.detach(CLOSE_CODES.REPLACED, 'replaced by a newer connection')
    this.peer = peer
    this.dialed = dialed
    this.left = false
    this.connection = connection
    this.attachedAt = this.host.clock.now()
    this.counters.connects++
    this.lastHeard = this.host.clock.now()
    this.stalledSince = undefined
    connection.onMessage = (bytes) => this.onFrame(bytes)
    // a pong is answered by the peer's network stack: proof of life from a tab whose timers are throttled
    connection.onPong = () => {
      this.lastHeard = this.host.clock.now()
    }
    connection.onClose = (code, reason) => {
      if (this.connection !== connection) return
      this.dropConnection()
      this.host.linkDown(this, code, reason)
    }
    for (const frame of early) this.onFrame(frame)
  }

  /** Queues a control envelope, written ahead of data on this connection only. */
  sendControl(envelope: Envelope): void {
    if (this.connection === undefined) return
    this.control ??= []
    const bytes = this.host.codec.encodeEnvelope(envelope)
    this.control.push(bytes)
    this.controlBytes += bytes.byteLength
    // a client that makes this node answer while it reads nothing costs at most the link's bound (hubs are trusted)
    if (this.controlBytes > this.host.hop.maxQueuedBytes && this.role === 'client') {
      this.fail(CLOSE_CODES.SLOW_PEER, 'the peer reads nothing while it makes this node answer')
      return
    }
    this.scheduleFlush()
  }

  /**
   * Queues a data envelope at stream position `seq` (with `base`) for the peer.
   * False when the queue is full: nothing is queued, and `writable` tells the
   * host when to try again.
   */
  sendData(envelope: DataEnvelope, seq: number, base: number): boolean {
    if (this.connection === undefined) return false
    const bytes = this.host.codec.encodeData(envelope, seq, base)
    // the origin keeps the body unchanged until acknowledged: a large one goes by reference
    const body = envelope.type === 'skip' ? undefined : envelope.body
    const byReference = body !== undefined && body.byteLength >= LARGE_BODY_BYTES && bodyIsLast(envelope)
    return this.enqueue(bytes, byReference ? body : undefined)
  }

  /** Queues an envelope passed on for another node, bounded like data: copied whole, so nothing of the frame it came in is kept. */
  relay(envelope: DataEnvelope | RoutedControlEnvelope): boolean {
    if (this.connection === undefined) return false
    const bytes =
      envelope.type === 'ack' || envelope.type === 'unreachable' || envelope.type === 'refused'
        ? this.host.codec.encodeEnvelope(envelope)
        : this.host.codec.encodeData(envelope, envelope.seq, envelope.base)
    return this.enqueue(bytes, undefined)
  }

  /** A heartbeat: liveness for the peer and a round-trip sample for this side. */
  heartbeat(now: number): void {
    this.lastHeartbeatAt = now
    this.sendControl({
      type: 'heartbeat',
      sentAt: now,
      echo: false,
      load: this.host.loadReport(),
      summary: this.host.summaryReport(),
    })
  }

  /** A transport-level ping, answered by the peer's network stack even when its page is throttled. */
  ping(): void {
    this.connection?.ping?.()
  }

  /** Closes the connection (the link object stays, ready for a new one). */
  detach(code: number, reason: string): void {
    const connection = this.connection
    if (connection === undefined) return
    this.dropConnection()
    connection.onMessage = undefined
    connection.onClose = undefined
    connection.onPong = undefined
    connection.close(code, reason)
  }

  /** Writes what is queued now, then a bye, then closes. */
  leave(reason: string): void {
    if (this.connection === undefined) return
    this.control ??= []
    this.control.push(this.host.codec.encodeEnvelope({ type: 'bye', reason } satisfies ByeEnvelope))
    this.flush(true)
    this.detach(CLOSE_CODES.GOING_AWAY, reason)
  }

  /** Closes the connection for a protocol violation by the peer, and reports the link down. */
  fail(code: number, reason: string): void {
    if (this.connection === undefined) return
    this.detach(code, reason.slice(0, 120))
    this.host.linkDown(this, code, reason)
  }

  countRejected(): void {
    this.counters.rejected++
  }

  metrics(): LinkMetrics {
    const metrics: LinkMetrics = {
      connected: this.isUp,
      queuedBytes: this.data.bytes,
      ...this.counters,
      rttMs: this.rttMs,
    }
    if (this.reported !== undefined) metrics.reported = this.reported
    return metrics
  }

  private dropConnection(): void {
    this.connection = undefined
    this.control = undefined
    this.controlBytes = 0
    this.data.clear()
    this.echoOwed = undefined
    if (this.retryTimer !== undefined) this.host.clock.clearTimeout(this.retryTimer)
    this.retryTimer = undefined
    this.flushScheduled = false
    this.full = false
  }

  private onFrame(bytes: Uint8Array): void {
    const connection = this.connection
    if (connection === undefined) return
    this.lastHeard = this.host.clock.now()
    this.counters.framesIn++
    this.counters.bytesIn += bytes.byteLength
    let envelopes: Envelope[]
    try {
      envelopes = this.host.codec.decode(bytes)
    } catch (error) {
      this.fail(CLOSE_CODES.PROTOCOL_ERROR, (error as ProtocolError).message)
      return
    }
    for (const envelope of envelopes) {
      if (this.connection !== connection) return // a handler closed the link
      this.onEnvelope(envelope)
    }
  }

  private onEnvelope(envelope: Envelope): void {
    switch (envelope.type) {
      case 'message':
      case 'reply':
      case 'dead':
      case 'skip':
      case 'ack':
      case 'unreachable':
      case 'refused':
        this.host.received(envelope, this)
        return
      case 'heartbeat':
        this.load = loadOf(envelope.load)
        if (envelope.summary.length > 0) this.reported = summaryOf(envelope.summary)
        if (envelope.echo) this.rttMs = this.host.clock.now() - envelope.sentAt
        else {
          // one echo owed at a time: a peer that sends heartbeats but reads nothing cannot grow our buffers
          this.echoOwed = envelope.sentAt
          this.scheduleFlush()
        }
        return
      case 'gossip':
      case 'hosts':
      case 'groups':
      case 'watch-groups':
      case 'bye':
        if (envelope.type === 'bye') this.left = true
        this.host.control(envelope, this)
        return
      case 'hello':
      case 'welcome':
        this.fail(CLOSE_CODES.PROTOCOL_ERROR, `unexpected ${envelope.type} after the handshake`)
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.connection === undefined) return
    this.flushScheduled = true
    queueMicrotask(() => {
      this.flushScheduled = false
      this.flush(false)
    })
  }

  /** Writes frames while the socket has room: control envelopes first, then data. */
  private flush(closing: boolean): void {
    const connection = this.connection
    if (connection === undefined) return
    const { maxSocketBufferedBytes } = this.host.hop
    const now = this.host.clock.now()
    for (;;) {
      const roomy = closing || connection.bufferedAmount < maxSocketBufferedBytes
      const parts: Uint8Array[] = []
      let envelopes = 0
      if (roomy && this.echoOwed !== undefined) {
        const echo = {
          type: 'heartbeat',
          sentAt: this.echoOwed,
          echo: true,
          load: this.host.loadReport(),
          summary: NO_SUMMARY,
        } as const
        parts.push(this.host.codec.encodeEnvelope(echo))
        envelopes++
        this.echoOwed = undefined
      }
      if (this.control !== undefined && roomy) {
        for (const part of this.control) parts.push(part)
        envelopes += this.control.length
        this.control = undefined
        this.controlBytes = 0
      }
      if (roomy && !this.data.isEmpty) envelopes += this.data.takeInto(parts)
      if (envelopes === 0) break
      const frame = joinFrame(parts, envelopes)
      connection.send(frame)
      this.lastSent = now
      this.counters.framesOut++
      this.counters.bytesOut += frame.byteLength
      if (!roomy || this.data.isEmpty) break
    }
    this.watchStall(connection, now)
    if (this.full && this.data.bytes <= this.host.hop.maxQueuedBytes / 2) {
      this.full = false
      this.host.writable(this)
    }
    // a full socket has no event in browsers: look again soon
    if ((!this.data.isEmpty || this.control !== undefined) && this.retryTimer === undefined && !closing) {
      this.retryTimer = this.host.clock.setTimeout(
        () => {
          this.retryTimer = undefined
          this.flush(false)
        },
        this.stalledSince === undefined ? 5 : 50,
      )
    }
  }

  private enqueue(bytes: Uint8Array, body: Uint8Array | undefined): boolean {
    const queued = this.data.bytes
    if (queued > 0 && queued + bytes.byteLength > this.host.hop.maxQueuedBytes) {
      this.full = true
      return false
    }
    this.data.push(bytes, body)
    this.scheduleFlush()
    return true
  }

  /** A peer that reads nothing for `maxStallMs` is closed: its buffers would only grow. */
  private watchStall(connection: Connection, now: number): void {
    if (connection.bufferedAmount < this.host.hop.maxSocketBufferedBytes) {
      this.stalledSince = undefined
      return
    }
    this.stalledSince ??= now
    if (now - this.stalledSince >= this.host.hop.maxStallMs) {
      this.fail(CLOSE_CODES.SLOW_PEER, `the peer read nothing for ${this.host.hop.maxStallMs} ms`)
    }
  }
}

const NO_LOAD: ReadonlyMap<string, number> = new Map()
const NO_SUMMARY: readonly number[] = []

function summaryOf([
  sent = 0,
  received = 0,
  deadLetters = 0,
  actors = 0,
  pendingAsks = 0,
  held = 0,
]: readonly number[]): ClientSummary {
  return { sent, received, deadLetters, actors, pendingAsks, held }
}

function loadOf(report: HeartbeatEnvelope['load']): ReadonlyMap<string, number> {
  if (report.length === 0) return NO_LOAD
  const load = new Map<string, number>()
  for (let i = 0; i < report.length; i += 2) load.set(report[i] as string, report[i + 1] as number)
  return load
}
