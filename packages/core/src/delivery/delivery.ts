import type { DeadLetterReason } from '../actor/deadLetter.js'
import type { Clock, TimerHandle } from '../clock.js'
import { queueMicrotask } from '../host.js'
import type { PeerLink } from '../link/peerLink.js'
import { CLOSE_CODES } from '../transport/transport.js'
import { dataHead, type FrameCodec } from '../wire/codec.js'
import {
  type AckEnvelope,
  type DataEnvelope,
  destinationOf,
  type RefusedEnvelope,
  type UnreachableReason,
} from '../wire/envelope.js'
import { bodyBytes, InStream } from './inStream.js'
import { type OutEntry, OutStream } from './outStream.js'

/** Resolved settings of the delivery layer (see `LinkOptions` and `NodeOptions`). @internal */
export interface DeliverySettings {
  maxMessages: number
  maxBytes: number
  highWaterMessages: number
  highWaterBytes: number
  windowMessages: number
  retransmitMs: number
  ackDelayMs: number
  deliveryTimeoutMs: number
  maxMessageBytes: number
  maxBacklogMessages: number
  maxBacklogBytes: number
  maxHeldMessages: number
  maxHeldBytes: number
  /** The bound per destination in bytes for a client destination (a tab that stops reading costs at most this). */
  maxClientBytes: number
  /** All streams together, in bytes. */
  maxOutboundBytes: number
  unknownNodeGraceMs: number
}

/** How a node stands in this node's member table. @internal */
export type Standing = 'up' | 'unknown' | 'down' | 'left'

/** What the delivery layer needs from its node and cluster. @internal */
export interface DeliveryHost {
  readonly id: string
  readonly incarnation: number
  readonly clock: Clock
  readonly codec: FrameCodec
  /** The link toward `node` now: its own, its hub's, or (for a client) this node's hub; undefined while none. */
  routeTo(node: string): PeerLink | undefined
  standing(node: string): Standing
  /** Whether `node` is a client (a tab), as far as this node knows. */
  isClient(node: string): boolean
  /** Hands an in-order envelope for this node over; false means no room now (a full mailbox), unless `force`. */
  deliver(envelope: DataEnvelope, force: boolean): boolean
  /** An envelope this node sent ended undelivered. */
  undeliverable(envelope: DataEnvelope, reason: DeadLetterReason, detail?: string): void
  /** `node` cannot be reached: asks to it fail now. */
  unreachable(node: string, reason: 'down' | 'left' | 'unknown'): void
}

/** The outcome of sending: queued (above the high-water mark or not), or refused and why. */
export type SendResult = 'queued' | 'backpressure' | { reason: DeadLetterReason; detail: string }

/** What waits for one destination node. */
export interface StreamMetrics {
  /** Messages not yet acknowledged by it, sent or not. */
  queued: number
  queuedBytes: number
  /** Of those, sent and waiting for its ack. */
  inFlight: number
  /** Why it cannot be reached now, if it cannot. */
  unreachable: UnreachableReason | undefined
}

/** Figures of the delivery layer, part of `node.metrics()`. */
export interface DeliveryMetrics {
  /** Messages sent and not yet acknowledged by their destination node. */
  queued: number
  /** Of those, the ones waiting for a node that cannot be reached now (the hold queue). */
  held: number
  heldBytes: number
  /** Messages, replies and dead-letter reports this node sent to other nodes. */
  sent: number
  /** Those it received from other nodes and took in (each once). */
  received: number
  /** Envelopes sent again (after a reconnect, a lost frame or a route change). */
  resent: number
  /** Envelopes that arrived a second time and were dropped. */
  duplicatesDropped: number
  /** Envelopes that arrived ahead of a missing one and were dropped (their origin resends). */
  outOfOrderDropped: number
  /** What waits for each destination node that has anything waiting. */
  streams: Record<string, StreamMetrics>
}

/**
 * The end-to-end delivery layer, between a node's actors and its links.
 * Outbound: one {@link OutStream} per destination node, kept until the
 * destination acknowledges, resent over whatever route is live. Inbound: one
 * {@link InStream} per origin, delivering each position once and in order.
 * Relays never see this state: a hub that crashes loses nothing an origin
 * still holds.
 * @internal
 */
export class Delivery {
  private readonly out = new Map<string, OutStream>()
  private readonly in = new Map<string, InStream>()
  /** Streams with entries: the ones a tick or a route change concerns. */
  private readonly active = new Set<OutStream>()
  private readonly held = new Set<OutStream>()
  private readonly outbound = { bytes: 0 }
  private heldCount = 0
  private heldBytes = 0
  private readonly blocked = new Map<PeerLink, Set<OutStream>>()
  private readonly owed = new Set<InStream>()
  private readonly backlogged = new Set<InStream>()
  private backlogBytes = 0
  private ackTimer: TimerHandle | undefined
  private ackFlushScheduled = false
  private backlogTimer: TimerHandle | undefined
  private readonly drainWaiters = new Map<OutStream, Array<() => void>>()
  private readonly counters = { sent: 0, received: 0, resent: 0, duplicatesDropped: 0, outOfOrderDropped: 0 }

  constructor(
    private readonly host: DeliveryHost,
    private readonly settings: DeliverySettings,
  ) {}

  // ---- outbound ----

  /** Queues `envelope` (its `seq` and `base` are set here) for its node, and sends it if the window allows. */
  send(envelope: DataEnvelope, ttlMs: number): SendResult {
    const node = destinationOf(envelope)
    const body = bodyBytes(envelope)
    const { maxMessageBytes, maxMessages, maxHeldMessages, maxHeldBytes, maxOutboundBytes } = this.settings
    if (body > maxMessageBytes) {
      return {
        reason: 'too-large',
        detail: `the message is ${body} bytes, over the limit of ${maxMessageBytes}`,
      }
    }
    const now = this.host.clock.now()
    const stream = this.streamTo(node, now)
    const bytes = body + 64
    if (stream.size >= maxMessages || stream.bytes + bytes > this.maxBytesFor(node)) {
      return { reason: 'queue-full', detail: `the queue to "${node}" is full (${stream.size} messages)` }
    }
    if (this.outbound.bytes + bytes > maxOutboundBytes) {
      return {
        reason: 'queue-full',
        detail: `this node has ${this.outbound.bytes} bytes queued for other nodes`,
      }
    }
    if (
      this.held.has(stream) &&
      (this.heldCount >= maxHeldMessages || this.heldBytes + bytes > maxHeldBytes)
    ) {
      return { reason: 'queue-full', detail: `the hold queue is full (${this.heldCount} messages)` }
    }
    if (stream.size === 0) stream.lastProgress = now // silence is counted from the first message in flight
    this.counters.sent++
    stream.push({ envelope, seq: stream.nextSeq, bytes, deadline: now + ttlMs, encoded: undefined })
    if (this.held.has(stream)) {
      this.heldCount++
      this.heldBytes += bytes
    }
    this.active.add(stream)
    this.pump(stream)
    const above =
      stream.size >= this.settings.highWaterMessages || stream.bytes >= this.settings.highWaterBytes
    return above ? 'backpressure' : 'queued'
  }

  /** Resolves once the stream to `node` is below half its high-water marks. */
  drain(node: string): Promise<void> {
    const stream = this.out.get(node)
    if (stream === undefined || this.belowLowWater(stream)) return Promise.resolve()
    return new Promise((resolve) => {
      const waiters = this.drainWaiters.get(stream) ?? []
      waiters.push(resolve)
      this.drainWaiters.set(stream, waiters)
    })
  }

  /** An ack from the node a stream goes to. */
  acked(ack: AckEnvelope, link: PeerLink): void {
    if (ack.destIncarnation !== this.host.incarnation) return // about an earlier run of this node
    const stream = this.out.get(ack.from)
    if (stream === undefined || ack.fromIncarnation < stream.destIncarnation) return
    if (ack.seq > stream.highestSent) {
      link.countRejected()
      // a client acking what was never sent is lying or broken: its link goes, nobody else's
      if (link.peerId === ack.from && link.role === 'client') {
        link.fail(
          CLOSE_CODES.PROTOCOL_ERROR,
          `ack for ${ack.seq}, beyond what was sent (${stream.highestSent})`,
        )
      }
      return
    }
    // a new incarnation of the destination gets what the last one did not acknowledge (at-least-once)
    stream.destIncarnation = ack.fromIncarnation
    const now = this.host.clock.now()
    const removed = stream.ack(ack.seq, now)
    if (removed > 0 && this.held.has(stream)) this.recountHeld()
    if (stream.unreachable !== undefined) this.resume(stream)
    if (ack.gap && now - stream.lastRewind >= this.minRewindMs(link)) {
      this.counters.resent += stream.rewind(now)
    }
    this.pump(stream)
    this.settle(stream)
  }

  /** A hub says it dropped envelopes for `node`: hold them here, and tell the node if asks should fail. */
  unreachableReported(node: string, reason: UnreachableReason): void {
    const stream = this.out.get(node)
    if (stream !== undefined) this.pause(stream, reason)
    if (reason === 'down' || reason === 'left') this.host.unreachable(node, reason)
  }

  /** A hub refused one of this node's envelopes: dead-letter it here, and send a skip in its place. */
  refusedReported(refused: RefusedEnvelope): void {
    const stream = this.out.get(refused.node)
    const old = stream?.replace(this.skipFor(stream, refused.seq))
    if (stream === undefined || old === undefined || old.envelope.type === 'skip') return
    stream.trimSkips()
    if (this.held.has(stream)) this.recountHeld()
    this.host.undeliverable(old.envelope, refused.reason, refused.detail)
    if (refused.seq <= stream.sentThrough) this.counters.resent += stream.rewind(this.host.clock.now())
    this.pump(stream)
  }

  /** Membership says `node` is gone: hold what is queued for it; asks fail. */
  nodeGone(node: string, reason: 'down' | 'left'): void {
    const stream = this.out.get(node)
    if (stream !== undefined) this.pause(stream, reason)
    this.host.unreachable(node, reason)
  }

  /** `node` can be reached again (it came up, or its route changed): send what waits for it. */
  reachable(node: string): void {
    const stream = this.out.get(node)
    if (stream === undefined) return
    if (stream.unreachable !== undefined) this.resume(stream)
    else this.pump(stream)
  }

  /** Links came or went: streams that now take another route resend from their first unacknowledged entry. */
  routesChanged(): void {
    for (const stream of this.active) this.pump(stream)
  }

  /** `link` has room again for the streams it refused. */
  linkWritable(link: PeerLink): void {
    const streams = this.blocked.get(link)
    if (streams === undefined) return
    this.blocked.delete(link)
    for (const stream of streams) this.pump(stream)
  }

  // ---- inbound ----

  /** A data envelope for this node, from a link (or made here, for a refused one). */
  received(envelope: DataEnvelope): void {
    const now = this.host.clock.now()
    let stream = this.in.get(envelope.origin)
    if (stream === undefined || envelope.originIncarnation > stream.incarnation) {
      stream = new InStream(envelope.origin, envelope.originIncarnation, envelope.base, now)
      this.in.set(envelope.origin, stream)
    } else if (envelope.originIncarnation < stream.incarnation) {
      return // from an earlier run of the origin, still travelling
    }
    stream.lastHeard = now
    if (envelope.base > stream.expected) {
      this.backlogBytes -= stream.backlogBytes
      stream.skipTo(envelope.base)
    }
    const next = stream.next
    if (envelope.seq < next) {
      this.counters.duplicatesDropped++
      this.oweAck(stream, false)
      return
    }
    if (envelope.seq > next) {
      this.counters.outOfOrderDropped++
      this.oweAck(stream, true)
      return
    }
    if (stream.backlog === undefined && this.host.deliver(envelope, false)) {
      stream.expected++
      this.counters.received++
      this.oweAck(stream, false)
      return
    }
    const { maxBacklogMessages, maxBacklogBytes } = this.settings
    const body = bodyBytes(envelope)
    if ((stream.backlog?.length ?? 0) >= maxBacklogMessages || this.backlogBytes + body > maxBacklogBytes) {
      return // dropped unacknowledged: the origin sends it again once the window reopens
    }
    // copied: the envelope's body is a view into the whole frame it arrived in
    stream.defer(envelope.type === 'skip' ? envelope : { ...envelope, body: envelope.body.slice() }, now)
    this.backlogBytes += body
    this.backlogged.add(stream)
    this.backlogTimer ??= this.host.clock.setTimeout(() => this.retryBacklogs(), 2)
  }

  // ---- time ----

  /** Resends after silence, probes unreachable nodes, expires what waited past its TTL. */
  tick(now: number): void {
    const { retransmitMs, unknownNodeGraceMs } = this.settings
    for (const stream of this.active) {
      if (stream.unreachable === undefined && this.host.routeTo(stream.node) === undefined) {
        const standing = this.host.standing(stream.node)
        if (standing !== 'up') this.pause(stream, standing === 'unknown' ? 'unknown' : standing)
      }
      if (stream.unreachable !== undefined) {
        if (now - stream.lastRewind >= retransmitMs) this.probe(stream, now)
        if (stream.unreachable === 'unknown' && now - stream.unreachableSince >= unknownNodeGraceMs) {
          this.host.unreachable(stream.node, 'unknown')
        }
      } else if (
        stream.unacked > 0 &&
        now - stream.lastProgress >= retransmitMs &&
        now - stream.lastRewind >= retransmitMs
      ) {
        this.counters.resent += stream.rewind(now)
        this.pump(stream)
      }
      const stalled = stream.unreachable !== undefined || now - stream.lastProgress >= retransmitMs
      if (stalled) this.expire(stream, now)
    }
  }

  /** Forgets an origin that left or stayed down past any TTL (its streams can send nothing more). */
  forget(node: string): void {
    this.in.delete(node)
  }

  /** Inbound streams not heard from within `retentionMs`: their origins can no longer resend. */
  forgetSilent(now: number, retentionMs: number): void {
    for (const [origin, stream] of this.in) {
      if (now - stream.lastHeard >= retentionMs && stream.backlog === undefined) this.in.delete(origin)
    }
  }

  /** True when every stream is acknowledged (or there is nobody to wait for). */
  get settled(): boolean {
    for (const stream of this.active) if (stream.unreachable === undefined && stream.size > 0) return false
    return true
  }

  /** Removes and returns every envelope not acknowledged (the node is closing). */
  clear(): DataEnvelope[] {
    const left: DataEnvelope[] = []
    for (const stream of this.active) for (const entry of stream.clear()) left.push(entry.envelope)
    this.active.clear()
    this.held.clear()
    this.heldCount = 0
    this.heldBytes = 0
    if (this.ackTimer !== undefined) this.host.clock.clearTimeout(this.ackTimer)
    if (this.backlogTimer !== undefined) this.host.clock.clearTimeout(this.backlogTimer)
    return left.filter((envelope) => envelope.type !== 'skip')
  }

  metrics(): DeliveryMetrics {
    let queued = 0
    const streams = Object.create(null) as Record<string, StreamMetrics>
    for (const stream of this.active) {
      queued += stream.size
      const { size, bytes, unacked, unreachable } = stream
      streams[stream.node] = { queued: size, queuedBytes: bytes, inFlight: unacked, unreachable }
    }
    return { queued, held: this.heldCount, heldBytes: this.heldBytes, ...this.counters, streams }
  }

  // ---- internals ----

  private streamTo(node: string, now: number): OutStream {
    let stream = this.out.get(node)
    if (stream === undefined) {
      stream = new OutStream(node, now, this.outbound)
      this.out.set(node, stream)
    }
    return stream
  }

  /** Sends what the window allows on the stream's route; a new route means starting over from the first unacknowledged. */
  private pump(stream: OutStream): void {
    if (stream.unreachable !== undefined) return
    const link = this.host.routeTo(stream.node)
    if (link !== stream.route || link?.epoch !== stream.routeEpoch) {
      // what went out on another route or an earlier connection may be lost with it
      if (stream.unacked > 0) this.counters.resent += stream.rewind(this.host.clock.now())
      stream.route = link
      stream.routeEpoch = link?.epoch ?? 0
    }
    this.setHeld(stream, link === undefined)
    if (link === undefined || this.blocked.get(link)?.has(stream)) return
    this.flushAckTo(stream.node, link)
    while (stream.unacked < this.settings.windowMessages) {
      const entry = stream.nextUnsent()
      if (entry === undefined) break
      if (!this.write(stream, entry, link)) {
        this.blocked.set(link, (this.blocked.get(link) ?? new Set<OutStream>()).add(stream))
        break
      }
      stream.sentThrough = entry.seq
      if (entry.seq > stream.highestSent) stream.highestSent = entry.seq
    }
  }

  private write(stream: OutStream, entry: OutEntry, link: PeerLink): boolean {
    entry.encoded ??= this.host.codec.encodeData(entry.envelope)
    const head = dataHead(entry.encoded, entry.seq, stream.base)
    return link.sendData([head, entry.encoded.rest], head.byteLength + entry.encoded.rest.byteLength)
  }

  /** While a node cannot be reached, its first unacknowledged entry goes now and then: the ack it brings means it can again. */
  private probe(stream: OutStream, now: number): void {
    stream.lastRewind = now
    const link = this.host.routeTo(stream.node)
    const first = stream.first()
    if (link === undefined || first === undefined) return
    if (this.write(stream, first, link) && first.seq > stream.highestSent) stream.highestSent = first.seq
  }

  private pause(stream: OutStream, reason: UnreachableReason): void {
    if (stream.unreachable === undefined) stream.unreachableSince = this.host.clock.now()
    stream.unreachable = reason
    stream.rewind(this.host.clock.now())
    this.setHeld(stream, true)
  }

  private resume(stream: OutStream): void {
    stream.unreachable = undefined
    stream.route = undefined
    this.pump(stream)
  }

  private expire(stream: OutStream, now: number): void {
    const expired = stream.expire(now, (entry) => this.skipFor(stream, entry.seq))
    if (expired.length === 0) return
    stream.trimSkips()
    if (this.held.has(stream)) this.recountHeld()
    for (const entry of expired) {
      const sent = entry.seq <= stream.highestSent
      this.host.undeliverable(
        entry.envelope,
        'ttl-expired',
        sent ? `"${stream.node}" did not acknowledge it in time (it may have been delivered)` : undefined,
      )
    }
    this.settle(stream)
  }

  /** What stands in the stream for an entry that ends undelivered. */
  private skipFor(stream: OutStream, seq: number): OutEntry {
    const { id: origin, incarnation: originIncarnation } = this.host
    return {
      envelope: { type: 'skip', seq, base: 0, origin, originIncarnation, dest: stream.node },
      seq,
      bytes: 16,
      deadline: Number.POSITIVE_INFINITY, // a skip never expires: it is what expiry leaves
      encoded: undefined,
    }
  }

  private setHeld(stream: OutStream, held: boolean): void {
    if (held === this.held.has(stream)) return
    if (held) this.held.add(stream)
    else this.held.delete(stream)
    this.recountHeld()
  }

  private recountHeld(): void {
    let count = 0
    let bytes = 0
    for (const stream of this.held) {
      count += stream.size
      bytes += stream.bytes
    }
    this.heldCount = count
    this.heldBytes = bytes
  }

  /** After acks or expiries: wake drain waiters, and retire a stream with nothing left. */
  private settle(stream: OutStream): void {
    const waiters = this.drainWaiters.get(stream)
    if (waiters !== undefined && this.belowLowWater(stream)) {
      this.drainWaiters.delete(stream)
      for (const resolve of waiters) resolve()
    }
    if (stream.size === 0) {
      this.active.delete(stream)
      if (this.held.delete(stream)) this.recountHeld()
    }
  }

  private maxBytesFor(node: string): number {
    const { maxBytes, maxClientBytes } = this.settings
    return this.host.isClient(node) ? Math.min(maxBytes, maxClientBytes) : maxBytes
  }

  private belowLowWater(stream: OutStream): boolean {
    const { highWaterMessages, highWaterBytes } = this.settings
    return stream.size <= highWaterMessages / 2 && stream.bytes <= highWaterBytes / 2
  }

  private minRewindMs(link: PeerLink): number {
    return Math.max(20, 2 * (link.rtt ?? 10))
  }

  private oweAck(stream: InStream, gap: boolean): void {
    stream.ackOwed = true
    if (gap) stream.gapOwed = true
    this.owed.add(stream)
    if (gap || ++stream.sinceAck >= this.settings.windowMessages / 4) {
      if (!this.ackFlushScheduled) {
        this.ackFlushScheduled = true
        queueMicrotask(() => {
          this.ackFlushScheduled = false
          this.flushAcks()
        })
      }
      return
    }
    this.ackTimer ??= this.host.clock.setTimeout(() => {
      this.ackTimer = undefined
      this.flushAcks()
    }, this.settings.ackDelayMs)
  }

  private flushAcks(): void {
    for (const stream of this.owed) {
      const link = this.host.routeTo(stream.origin)
      if (link !== undefined) this.sendAck(stream, link)
    }
    this.owed.clear()
  }

  /** An ack owed to `node` rides along with data going there. */
  private flushAckTo(node: string, link: PeerLink): void {
    const stream = this.in.get(node)
    if (stream?.ackOwed) {
      this.sendAck(stream, link)
      this.owed.delete(stream)
    }
  }

  private sendAck(stream: InStream, link: PeerLink): void {
    link.sendControl({
      type: 'ack',
      from: this.host.id,
      fromIncarnation: this.host.incarnation,
      dest: stream.origin,
      destIncarnation: stream.incarnation,
      seq: stream.expected - 1,
      gap: stream.gapOwed,
    })
    stream.ackOwed = false
    stream.gapOwed = false
    stream.sinceAck = 0
  }

  /** Hands backlogs on in order while there is room; past `deliveryTimeoutMs` the head is forced. */
  private retryBacklogs(): void {
    this.backlogTimer = undefined
    const now = this.host.clock.now()
    for (const stream of this.backlogged) {
      while (stream.backlog !== undefined) {
        const head = stream.backlog[0]!
        const force = now - stream.backlogSince >= this.settings.deliveryTimeoutMs
        if (!this.host.deliver(head, force)) break
        this.backlogBytes -= bodyBytes(head)
        stream.shift(now)
        this.counters.received++
        this.oweAck(stream, false)
      }
      if (stream.backlog === undefined) this.backlogged.delete(stream)
    }
    if (this.backlogged.size > 0)
      this.backlogTimer = this.host.clock.setTimeout(() => this.retryBacklogs(), 2)
  }
}
