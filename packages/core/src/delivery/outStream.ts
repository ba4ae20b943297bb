import type { PeerLink } from '../link/peerLink.js'
import type { DataEnvelope, UnreachableReason } from '../wire/envelope.js'

/** A data envelope its origin keeps until the destination acknowledges it. @internal */
export interface OutEntry {
  /** Its position in the stream (the envelope's own `seq` and `base` are not used: both are written at every send). */
  readonly seq: number
  envelope: DataEnvelope
  /** Bytes it counts for in the stream's bounds. */
  readonly bytes: number
  /** Clock time after which, while it cannot be delivered, it is a `ttl-expired` dead letter. */
  readonly deadline: number
}

/**
 * The stream of data envelopes from this node to one other node: numbered from
 * 1, kept until acknowledged end to end, sent in order within a window, and
 * resent from the first unacknowledged one whenever the route changes or acks
 * stop coming. Entries are never renumbered: an entry that ends undelivered is
 * replaced by a `skip` so the stream goes on past it.
 * @internal
 */
export class OutStream {
  /** The destination's incarnation as its acks tell it; 0 until the first ack. */
  destIncarnation = 0
  nextSeq = 1
  /** Highest position the destination acknowledged. */
  ackedThrough = 0
  /** Highest position handed to a link since the last rewind. */
  sentThrough = 0
  /** Highest position ever handed to a link: an ack beyond it acknowledges something never sent. */
  highestSent = 0
  bytes = 0
  /** Clock time of the last progress: an ack that moved, or the stream's start. */
  lastProgress: number
  lastRewind = Number.NEGATIVE_INFINITY
  /** Why the destination cannot be reached, when a hub said so or membership shows it; undefined while it can. */
  unreachable: UnreachableReason | undefined
  /** Clock time since which it has been unreachable. */
  unreachableSince = 0
  /** The link the stream last sent on, and which of its connections: a change of route means resending. */
  route: PeerLink | undefined
  routeEpoch = 0
  private entries: OutEntry[] = []
  private head = 0

  constructor(
    readonly node: string,
    now: number,
    /** Bytes queued in all streams of this node, kept up to date by each. */
    private readonly total: { bytes: number },
  ) {
    this.lastProgress = now
  }

  get size(): number {
    return this.entries.length - this.head
  }

  /** The first position not acknowledged: what a receiver that knows nothing of the stream starts from. */
  get base(): number {
    return this.ackedThrough + 1
  }

  get unacked(): number {
    return this.sentThrough - this.ackedThrough
  }

  get hasUnsent(): boolean {
    return this.sentThrough < this.nextSeq - 1
  }

  push(entry: OutEntry): void {
    this.entries.push(entry)
    this.resize(entry.bytes)
    this.nextSeq++
  }

  /** The next entry to send, if any. */
  nextUnsent(): OutEntry | undefined {
    return this.entries[this.head + this.sentThrough - this.ackedThrough]
  }

  /** The first unacknowledged entry (a probe while the destination is unreachable). */
  first(): OutEntry | undefined {
    return this.entries[this.head]
  }

  /** Drops entries up to and including `seq`; returns how many. */
  ack(seq: number, now: number): number {
    if (seq <= this.ackedThrough) return 0
    const removed = seq - this.ackedThrough
    for (let i = 0; i < removed; i++) {
      this.resize(-this.entries[this.head]!.bytes)
      this.entries[this.head++] = undefined as unknown as OutEntry
    }
    this.ackedThrough = seq
    if (this.sentThrough < seq) this.sentThrough = seq
    this.lastProgress = now
    this.compact()
    return removed
  }

  /** Makes every unacknowledged entry unsent again; returns how many were in flight. */
  rewind(now: number): number {
    const inFlight = this.sentThrough - this.ackedThrough
    this.sentThrough = this.ackedThrough
    this.lastRewind = now
    return inFlight
  }

  /**
   * Entries past their deadline, each replaced by `skip(entry)` in the stream.
   * Returns them: the caller dead-letters them.
   */
  expire(now: number, skip: (entry: OutEntry) => OutEntry): OutEntry[] {
    const expired: OutEntry[] = []
    for (let i = this.head; i < this.entries.length; i++) {
      const entry = this.entries[i]!
      if (entry.deadline > now) continue
      expired.push(entry)
      this.replace(skip(entry))
    }
    return expired
  }

  /** Replaces the unacknowledged messages of asks `askIds` by skips; returns the entries replaced. */
  withdraw(askIds: ReadonlySet<number>, skip: (entry: OutEntry) => OutEntry): OutEntry[] {
    const withdrawn: OutEntry[] = []
    for (let i = this.head; i < this.entries.length; i++) {
      const entry = this.entries[i]!
      if (entry.envelope.type !== 'message' || !askIds.has(entry.envelope.askId)) continue
      this.replace(skip(entry))
      withdrawn.push(entry)
    }
    return withdrawn
  }

  /** Puts `entry` in the place of the unacknowledged entry at its position; returns the one it replaced. */
  replace(entry: OutEntry): OutEntry | undefined {
    const index = this.head + entry.seq - this.ackedThrough - 1
    const old = entry.seq > this.ackedThrough ? this.entries[index] : undefined
    if (old === undefined) return undefined
    this.entries[index] = entry
    this.resize(entry.bytes - old.bytes)
    return old
  }

  /**
   * Skips at the head need no ack: nothing is lost if they never arrive, so
   * the stream counts them acknowledged (its `base` moves past them, and a
   * receiver that waits for them skips to it).
   */
  trimSkips(): void {
    let seq = this.ackedThrough
    while (this.entries[this.head + seq - this.ackedThrough]?.envelope.type === 'skip') seq++
    if (seq === this.ackedThrough) return
    const inFlight = this.sentThrough
    this.ack(seq, this.lastProgress)
    this.sentThrough = Math.max(inFlight, seq)
  }

  /** Removes and returns every entry not acknowledged. */
  clear(): OutEntry[] {
    const rest = this.entries.slice(this.head)
    this.entries = []
    this.head = 0
    this.resize(-this.bytes)
    this.ackedThrough = this.nextSeq - 1
    this.sentThrough = this.ackedThrough
    return rest
  }

  private resize(by: number): void {
    this.bytes += by
    this.total.bytes += by
  }

  private compact(): void {
    if (this.head === this.entries.length) {
      this.entries = []
      this.head = 0
    } else if (this.head >= 1024 && this.head * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.head)
      this.head = 0
    }
  }
}
