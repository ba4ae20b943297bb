import type { Clock, TimerHandle } from '../clock.js'
import { queueMicrotask } from '../host.js'
import type { PeerLink } from '../link/peerLink.js'
import type { DataEnvelope } from '../wire/envelope.js'
import { bodyBytes, InStream } from './inStream.js'
import type { DeliverySettings } from './types.js'

/** What the receiving side needs from its node. @internal */
export interface ReceiverHost {
  readonly id: string
  readonly incarnation: number
  readonly clock: Clock
  routeTo(node: string): PeerLink | undefined
  /** Hands an in-order envelope for this node over; false means no room now (a full mailbox), unless `force`. */
  deliver(envelope: DataEnvelope, force: boolean): boolean
}

/**
 * Under load an ack goes once this part of the window has arrived (256 of 8,192
 * by default), not only after `ackDelayMs`: everything unacknowledged stays
 * alive at its origin, and fewer messages alive means less for the garbage
 * collector to copy (a quarter window: 7 % less throughput, docs/performance.md).
 */
const ACK_EVERY_PART = 32

/**
 * The receiving side of end-to-end delivery: one {@link InStream} per origin,
 * each position handed to the node once and in order, acks owed back (delayed
 * a little to ride on traffic), and what waits for a full mailbox kept in a
 * bounded backlog.
 * @internal
 */
export class Receiver {
  private readonly in = new Map<string, InStream>()
  private readonly owed = new Set<InStream>()
  private readonly backlogged = new Set<InStream>()
  private backlogBytes = 0
  private ackTimer: TimerHandle | undefined
  private ackFlushScheduled = false
  private backlogTimer: TimerHandle | undefined
  readonly counters = { received: 0, duplicatesDropped: 0, outOfOrderDropped: 0 }

  constructor(
    private readonly host: ReceiverHost,
    private readonly settings: DeliverySettings,
  ) {}

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

  /** An ack owed to `node` rides along with data going there. */
  flushAckTo(node: string, link: PeerLink): void {
    const stream = this.in.get(node)
    if (stream?.ackOwed) {
      this.sendAck(stream, link)
      this.owed.delete(stream)
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

  /** Stops its timers (the node is closing). */
  close(): void {
    if (this.ackTimer !== undefined) this.host.clock.clearTimeout(this.ackTimer)
    if (this.backlogTimer !== undefined) this.host.clock.clearTimeout(this.backlogTimer)
  }

  private oweAck(stream: InStream, gap: boolean): void {
    stream.ackOwed = true
    if (gap) stream.gapOwed = true
    this.owed.add(stream)
    if (gap || ++stream.sinceAck >= this.settings.windowMessages / ACK_EVERY_PART) {
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
