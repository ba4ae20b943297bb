import type { DeadLetterReason } from '../actor/deadLetter.js'
import type { Clock, TimerHandle } from '../clock.js'
import type { ProtocolError } from '../errors.js'
import { queueMicrotask } from '../host.js'
import { CLOSE_CODES, type Connection } from '../transport/transport.js'
import { type FrameCodec, joinFrame } from '../wire/codec.js'
import type { ByeEnvelope, Envelope, GossipEnvelope, NodeRole, SequencedEnvelope } from '../wire/envelope.js'
import { Outbox, type OutboxEntry, type OutboxLimits } from './outbox.js'

/** Tuning of every peer link. */
export interface LinkOptions extends OutboxLimits {
  /** Most bytes of envelopes in one frame. @default 65_536 */
  maxBatchBytes: number
  /** Above this many bytes waiting in the socket, the link holds data back. @default 262_144 */
  maxSocketBufferedBytes: number
  /** Re-send the unacknowledged envelopes after this long without an ack. @default 1_000 */
  retransmitMs: number
  /** Largest encoded message; a bigger one is a `rejected` dead letter. @default 262_144 */
  maxMessageBytes: number
  /** Most envelopes sent and not yet acknowledged (the sliding window). @default 8_192 */
  windowMessages: number
  /** How long an ack may wait to ride on a data frame; a quarter window received acks at once. @default 5 */
  ackDelayMs: number
  /**
   * How long the receiving side waits for room in a full mailbox before the
   * message becomes a `queue-full` dead letter. Meanwhile the link delivers
   * nothing else and acknowledges nothing, so the sender's window closes:
   * backpressure, not loss. @default 2_000
   */
  deliveryTimeoutMs: number
}

/** Why a link refused an envelope: part of the public `RouteResult`, so not stripped from the .d.ts. */
export interface Refusal {
  reason: DeadLetterReason
  detail: string
}

/** What the link knows of the peer from its handshake. @internal */
export interface PeerHandshake {
  readonly incarnation: number
  readonly role: NodeRole
  readonly url: string | undefined
  /** Highest sequence number the peer got from us, valid if `peerIncarnation` is our incarnation. */
  readonly received: number
  readonly peerIncarnation: number
}

/** Per-link counters, reported by `node.metrics()`. */
export interface LinkMetrics {
  connected: boolean
  /** Connections this link has had: 1 + reconnects. */
  connects: number
  /** Envelopes waiting to be sent or acknowledged. */
  queued: number
  queuedBytes: number
  sent: number
  acked: number
  resent: number
  received: number
  duplicatesDropped: number
  /** Envelopes from this peer refused: a spoofed sender, or refused by `authorize`. */
  rejected: number
  /** Last measured round-trip time, if any. */
  rttMs: number | undefined
}

/** The link's owner: the cluster. @internal */
export interface LinkHost {
  readonly selfIncarnation: number
  readonly clock: Clock
  readonly codec: FrameCodec
  readonly options: LinkOptions
  /**
   * Hands an in-order envelope on. False means "no room now" (a full mailbox):
   * the link keeps it and tries again; with `force` the host must take it
   * (dead-lettering it if there is still no room).
   */
  deliver(envelope: SequencedEnvelope, link: PeerLink, force: boolean): boolean
  control(envelope: GossipEnvelope | ByeEnvelope, link: PeerLink): void
  linkDown(link: PeerLink, code: number, reason: string): void
  expired(entry: OutboxEntry): void
}

const isSequenced = (e: Envelope): e is SequencedEnvelope =>
  e.type === 'message' || e.type === 'reply' || e.type === 'dead'

/**
 * The one owner of the connection to one peer node (the per-peer task
 * pattern): nobody else writes to its socket. It numbers outbound envelopes,
 * batches them into frames with control envelopes first, keeps them until the
 * peer acknowledges them, re-sends them after a reconnect from the first one
 * the peer has not seen, and drops duplicates on the way in.
 * @internal
 */
export class PeerLink {
  readonly outbox: Outbox
  connection: Connection | undefined
  peer: PeerHandshake | undefined
  /** Clock time of the last frame from the peer. */
  lastHeard: number
  /** Whether this side dialed the current connection. */
  dialed = false
  /** The peer said goodbye: it left on purpose. */
  left = false
  /** Who the peer authenticated as (hubs with an `authenticate` hook). */
  principal: string | undefined
  private control: Envelope[] = []
  /** Highest in-order sequence number received from the peer's current incarnation. */
  private received = 0
  private ackOwed = false
  private receivedSinceAck = 0
  private ackTimer: TimerHandle | undefined
  private flushScheduled = false
  private retryTimer: TimerHandle | undefined
  private lastAckProgress: number
  private drainWaiters: Array<() => void> = []
  private readonly counters = {
    connects: 0,
    sent: 0,
    acked: 0,
    resent: 0,
    received: 0,
    duplicatesDropped: 0,
    rejected: 0,
  }
  private rttMs: number | undefined
  private readonly batch: OutboxEntry[] = []
  /** In-order envelopes received but not yet taken by the node (a mailbox was full). */
  private backlog: SequencedEnvelope[] = []
  private backlogSince = 0
  private backlogTimer: TimerHandle | undefined

  constructor(
    readonly peerId: string,
    private readonly host: LinkHost,
  ) {
    this.outbox = new Outbox(host.options)
    this.lastHeard = host.clock.now()
    this.lastAckProgress = this.lastHeard
  }

  /** Highest in-order sequence number received from the peer's current incarnation. */
  get receivedSeq(): number {
    return this.received
  }

  get isUp(): boolean {
    return this.connection !== undefined
  }

  /**
   * Takes over `connection` after a completed handshake: drops what the peer
   * already has, re-sends the rest from the first envelope it has not seen.
   */
  attach(connection: Connection, peer: PeerHandshake, dialed: boolean, early: readonly Uint8Array[]): void {
    this.detach(CLOSE_CODES.REPLACED, 'replaced by a newer connection')
    const sameProcess = peer.incarnation === this.peer?.incarnation
    if (!sameProcess) this.received = 0 // a new peer process: a new stream
    // envelopes waiting for a mailbox were not acknowledged: the peer sends them again
    this.backlog = []
    this.peer = peer
    this.dialed = dialed
    this.left = false
    this.counters.resent += this.outbox.rewind()
    if (peer.peerIncarnation === this.host.selfIncarnation) {
      // the peer tells what it has: drop that, number the rest from there (closing gaps left by expiries).
      // Never below what it has acknowledged: a hello can be older than the peer's last ack (two dials crossing).
      const has = Math.max(peer.received, sameProcess ? this.outbox.ackedThrough : 0)
      this.counters.acked += this.outbox.ack(has)
      this.renumberFrom(has + 1)
    } else if (!sameProcess) {
      this.outbox.ackedThrough = 0
      this.renumberFrom(1) // at-least-once: a restarted peer gets again what its last run did not acknowledge
    }
    // else: a process that knows us dialed without saying what it has (a seed URL); it redials saying it
    this.connection = connection
    this.counters.connects++
    this.lastHeard = this.host.clock.now()
    this.lastAckProgress = this.lastHeard
    connection.onMessage = (bytes) => this.onFrame(bytes)
    // a pong is answered by the peer's network stack: proof of life from a tab whose timers are throttled
    connection.onPong = () => {
      this.lastHeard = this.host.clock.now()
    }
    connection.onClose = (code, reason) => {
      if (this.connection !== connection) return
      this.connection = undefined
      this.control = []
      this.host.linkDown(this, code, reason)
    }
    for (const frame of early) this.onFrame(frame)
    this.scheduleFlush()
  }

  /**
   * Numbers, encodes and queues a sequenced envelope (taking ownership of it).
   * Returns why it was refused, or undefined when it is queued.
   */
  enqueue(envelope: SequencedEnvelope, deadline: number): Refusal | undefined {
    ;(envelope as { seq: number }).seq = this.outbox.nextSeq
    let bytes: Uint8Array
    try {
      bytes = this.host.codec.encodeEnvelope(envelope)
    } catch (error) {
      return { reason: 'rejected', detail: `the message cannot be encoded: ${(error as Error).message}` }
    }
    if (bytes.byteLength > this.host.options.maxMessageBytes) {
      return {
        reason: 'rejected',
        detail: `the message is ${bytes.byteLength} bytes, over the limit of ${this.host.options.maxMessageBytes}`,
      }
    }
    if (!this.outbox.fits(bytes.byteLength))
      return { reason: 'queue-full', detail: `the queue to "${this.peerId}" is full` }
    this.outbox.push({ envelope, bytes, deadline })
    this.scheduleFlush()
    return undefined
  }

  private renumberFrom(expected: number): void {
    if (this.outbox.firstSeq !== expected || this.outbox.nextSeq !== expected + this.outbox.size) {
      this.outbox.renumber(expected, (envelope) => this.host.codec.encodeEnvelope(envelope))
    }
  }

  /** Queues a control envelope, sent ahead of data on this connection only. */
  sendControl(envelope: Envelope): void {
    if (this.connection === undefined) return
    this.control.push(envelope)
    this.scheduleFlush()
  }

  /** Resolves once the outbound queue is below its low-water mark. */
  drain(): Promise<void> {
    if (this.outbox.belowLowWater) return Promise.resolve()
    return new Promise((resolve) => this.drainWaiters.push(resolve))
  }

  /** Sends a heartbeat, and re-sends unacknowledged envelopes if acks stopped coming. */
  tick(now: number): void {
    if (this.connection === undefined) return
    this.sendControl({ type: 'heartbeat', sentAt: now, echo: false })
    if (this.peer?.role === 'client') this.connection.ping?.()
    const { retransmitMs } = this.host.options
    if (
      this.outbox.unacked > 0 &&
      now - this.lastAckProgress >= retransmitMs &&
      this.connection.bufferedAmount === 0
    ) {
      this.counters.resent += this.outbox.rewind()
      this.lastAckProgress = now
      this.scheduleFlush()
    }
  }

  /** While the link is down, turns queued envelopes past their deadline into dead letters. */
  expire(now: number): void {
    if (this.connection !== undefined) return
    for (const entry of this.outbox.expire(now)) this.host.expired(entry)
    this.notifyDrained()
  }

  /** Closes the connection (the link object stays, ready for a new one). */
  detach(code: number, reason: string): void {
    const connection = this.connection
    if (connection === undefined) return
    this.connection = undefined
    this.control = []
    connection.onMessage = undefined
    connection.onClose = undefined
    connection.onPong = undefined
    connection.close(code, reason)
  }

  /** Sends what is queued now, then a bye, then closes. */
  leave(reason: string): void {
    if (this.connection === undefined) return
    this.control.push({ type: 'bye', reason } satisfies ByeEnvelope)
    this.flush()
    this.detach(CLOSE_CODES.GOING_AWAY, reason)
  }

  countRejected(): void {
    this.counters.rejected++
  }

  metrics(): LinkMetrics {
    return {
      connected: this.connection !== undefined,
      queued: this.outbox.size,
      queuedBytes: this.outbox.bytes,
      ...this.counters,
      rttMs: this.rttMs,
    }
  }

  private onFrame(bytes: Uint8Array): void {
    const connection = this.connection
    if (connection === undefined) return
    this.lastHeard = this.host.clock.now()
    let envelopes: Envelope[]
    try {
      envelopes = this.host.codec.decode(bytes)
    } catch (error) {
      this.detach(CLOSE_CODES.PROTOCOL_ERROR, (error as ProtocolError).message.slice(0, 120))
      this.host.linkDown(this, CLOSE_CODES.PROTOCOL_ERROR, (error as Error).message)
      return
    }
    for (const envelope of envelopes) {
      if (this.connection !== connection) return // a handler closed the link
      this.onEnvelope(envelope)
    }
  }

  private onEnvelope(envelope: Envelope): void {
    if (isSequenced(envelope)) {
      this.oweAck()
      const expected = this.received + this.backlog.length + 1
      if (envelope.seq !== expected) {
        // below: a re-sent duplicate; above: a gap after a lost frame, which the sender's retransmit fills
        if (envelope.seq < expected) this.counters.duplicatesDropped++
        return
      }
      // the node may pass the envelope on (a relay numbers it for the next link): note its number first
      const seq = envelope.seq
      if (this.backlog.length === 0 && this.host.deliver(envelope, this, false)) this.accepted(seq)
      else this.defer(envelope)
      return
    }
    switch (envelope.type) {
      case 'ack': {
        const acked = this.outbox.ack(envelope.seq)
        if (acked > 0) {
          this.counters.acked += acked
          this.lastAckProgress = this.host.clock.now()
          this.notifyDrained()
          if (this.outbox.unsent > 0) this.scheduleFlush()
        }
        return
      }
      case 'heartbeat':
        if (envelope.echo) this.rttMs = this.host.clock.now() - envelope.sentAt
        else this.sendControl({ type: 'heartbeat', sentAt: envelope.sentAt, echo: true })
        return
      case 'gossip':
      case 'bye':
        if (envelope.type === 'bye') this.left = true
        this.host.control(envelope, this)
        return
      case 'hello':
      case 'welcome':
        this.detach(CLOSE_CODES.PROTOCOL_ERROR, `unexpected ${envelope.type} after the handshake`)
        this.host.linkDown(this, CLOSE_CODES.PROTOCOL_ERROR, `unexpected ${envelope.type}`)
    }
  }

  private accepted(seq: number): void {
    this.received = seq
    this.counters.received++
  }

  private defer(envelope: SequencedEnvelope): void {
    if (this.backlog.length === 0) this.backlogSince = this.host.clock.now()
    this.backlog.push(envelope)
    this.backlogTimer ??= this.host.clock.setTimeout(() => this.retryBacklog(), 2)
  }

  /** Hands on the backlog in order while there is room; after `deliveryTimeoutMs` the head is forced. */
  private retryBacklog(): void {
    this.backlogTimer = undefined
    while (this.backlog.length > 0) {
      const head = this.backlog[0]!
      const seq = head.seq
      const force = this.host.clock.now() - this.backlogSince >= this.host.options.deliveryTimeoutMs
      if (!this.host.deliver(head, this, force)) break
      this.backlog.shift()
      this.accepted(seq)
      this.backlogSince = this.host.clock.now()
      this.oweAck()
    }
    if (this.backlog.length > 0) this.backlogTimer = this.host.clock.setTimeout(() => this.retryBacklog(), 2)
    this.scheduleFlush()
  }

  /**
   * Acks are delayed a little (`ackDelayMs`) so they can ride on the next data
   * frame the other way, but never so long that the sender's window stalls.
   */
  private oweAck(): void {
    this.ackOwed = true
    if (++this.receivedSinceAck >= this.host.options.windowMessages / 4) {
      this.scheduleFlush()
      return
    }
    this.ackTimer ??= this.host.clock.setTimeout(() => {
      this.ackTimer = undefined
      this.flush()
    }, this.host.options.ackDelayMs)
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.connection === undefined) return
    this.flushScheduled = true
    queueMicrotask(() => {
      this.flushScheduled = false
      this.flush()
    })
  }

  /** Writes frames while the socket has room: control envelopes (and the ack) first, then data. */
  private flush(): void {
    const connection = this.connection
    if (connection === undefined) return
    const { maxBatchBytes, maxSocketBufferedBytes, windowMessages } = this.host.options
    const codec = this.host.codec
    for (;;) {
      const parts: Uint8Array[] = []
      if (this.ackOwed) {
        this.ackOwed = false
        this.receivedSinceAck = 0
        if (this.ackTimer !== undefined) this.host.clock.clearTimeout(this.ackTimer)
        this.ackTimer = undefined
        parts.push(codec.encodeEnvelope({ type: 'ack', seq: this.received }))
      }
      for (const envelope of this.control) parts.push(codec.encodeEnvelope(envelope))
      this.control = []
      const roomy = connection.bufferedAmount < maxSocketBufferedBytes
      const window = windowMessages - this.outbox.unacked
      if (roomy && window > 0 && this.outbox.unsent > 0) {
        this.batch.length = 0
        this.outbox.takeUnsent(maxBatchBytes, window, this.batch)
        for (const entry of this.batch) parts.push(entry.bytes)
        this.counters.sent += this.batch.length
      }
      if (parts.length === 0) break
      connection.send(joinFrame(parts))
      if (!roomy || this.outbox.unsent === 0 || this.outbox.unacked >= windowMessages) break
    }
    // a full window reopens with the next ack; a full socket has no event in browsers, so look again soon
    if (this.outbox.unsent > 0 && this.outbox.unacked < windowMessages && this.retryTimer === undefined) {
      this.retryTimer = this.host.clock.setTimeout(() => {
        this.retryTimer = undefined
        this.flush()
      }, 5)
    }
  }

  private notifyDrained(): void {
    if (this.drainWaiters.length === 0 || !this.outbox.belowLowWater) return
    const waiters = this.drainWaiters
    this.drainWaiters = []
    for (const resolve of waiters) resolve()
  }
}
