import type { DeadLetterReason } from '../actor/deadLetter.js'
import type { PeerLink } from '../link/peerLink.js'
import { CLOSE_CODES } from '../transport/transport.js'
import {
  type AckEnvelope,
  type DataEnvelope,
  destinationOf,
  type RefusedEnvelope,
  type UnreachableReason,
} from '../wire/envelope.js'
import { bodyBytes } from './inStream.js'
import { type OutEntry, OutStream } from './outStream.js'
import { Receiver } from './receiver.js'
import type { DeliveryHost, DeliveryMetrics, DeliverySettings, SendResult, StreamMetrics } from './types.js'

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
  /** Streams with entries: the ones a tick or a route change concerns. */
  private readonly active = new Set<OutStream>()
  private readonly held = new Set<OutStream>()
  private readonly outbound = { bytes: 0 }
  private heldCount = 0
  private heldBytes = 0
  private readonly blocked = new Map<PeerLink, Set<OutStream>>()
  private readonly drainWaiters = new Map<OutStream, Array<() => void>>()
  private readonly counters = { sent: 0, resent: 0 }
  private readonly receiver: Receiver

  constructor(
    private readonly host: DeliveryHost,
    private readonly settings: DeliverySettings,
  ) {
    this.receiver = new Receiver(host, settings)
  }

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
    stream.push({ envelope, seq: stream.nextSeq, bytes, deadline: now + ttlMs })
    if (this.held.has(stream)) {
      this.heldCount++
      this.heldBytes += bytes
    }
    this.active.add(stream)
    this.pump(stream)
    const above =
      stream.size >= this.settings.highWaterMessages || stream.bytes >= this.highWaterBytesFor(node)
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

  /**
   * The asks `askIds` to `node` are over (failed, or sent to another node):
   * their messages not yet acknowledged are worth nothing now, and go as skips
   * (a node that comes back must not handle an ask nobody waits for). With a
   * `reason`, each is a dead letter; without, it went elsewhere.
   */
  withdrawAsks(node: string, askIds: ReadonlySet<number>, reason?: DeadLetterReason): void {
    const stream = this.out.get(node)
    if (stream === undefined || askIds.size === 0) return
    const withdrawn = stream.withdraw(askIds, (entry) => this.skipFor(stream, entry.seq))
    if (withdrawn.length === 0) return
    stream.trimSkips()
    if (this.held.has(stream)) this.recountHeld()
    if (reason !== undefined)
      for (const entry of withdrawn) this.host.undeliverable(entry.envelope, reason, 'the ask ended first')
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
    this.receiver.received(envelope)
  }

  /** Forgets an origin that left or stayed down past any TTL (its streams can send nothing more). */
  forget(node: string): void {
    this.receiver.forget(node)
    const stream = this.out.get(node)
    if (stream !== undefined && stream.size === 0) {
      this.out.delete(node)
      this.active.delete(stream)
      this.drainWaiters.delete(stream)
      for (const streams of this.blocked.values()) streams.delete(stream)
    }
  }

  /** Whether this node has sent anything to `node` (while it keeps the stream). */
  hasSentTo(node: string): boolean {
    return (this.out.get(node)?.highestSent ?? 0) > 0
  }

  /** Inbound streams not heard from within `retentionMs`: their origins can no longer resend. */
  forgetSilent(now: number, retentionMs: number): void {
    this.receiver.forgetSilent(now, retentionMs)
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
    this.receiver.close()
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
    const { held, heldBytes } = { held: this.heldCount, heldBytes: this.heldBytes }
    return { queued, held, heldBytes, ...this.counters, ...this.receiver.counters, streams }
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
    this.receiver.flushAckTo(stream.node, link)
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
    return link.sendData(entry.envelope, entry.seq, stream.base)
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

  /** Above this many bytes queued for `node`, `send` says slow down: well before the node's bound. */
  private highWaterBytesFor(node: string): number {
    return Math.min(this.settings.highWaterBytes, this.maxBytesFor(node) / 2)
  }

  private belowLowWater(stream: OutStream): boolean {
    return (
      stream.size <= this.settings.highWaterMessages / 2 &&
      stream.bytes <= this.highWaterBytesFor(stream.node) / 2
    )
  }

  private minRewindMs(link: PeerLink): number {
    return Math.max(20, 2 * (link.rtt ?? 10))
  }
}
