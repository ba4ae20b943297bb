import type { SequencedEnvelope } from '../wire/envelope.js'

/** A sequenced envelope waiting to be sent or acknowledged. @internal */
export interface OutboxEntry {
  envelope: SequencedEnvelope
  bytes: Uint8Array
  /** Clock time after which, while the link is down, the entry is a `ttl-expired` dead letter. */
  readonly deadline: number
}

/** Bounds of a link's outbound queue. */
export interface OutboxLimits {
  /** Hard bound: past it, a send is a `queue-full` dead letter. @default 100_000 */
  maxMessages: number
  /** Hard bound in encoded bytes. @default 67_108_864 (64 MiB) */
  maxBytes: number
  /** Above this many, `send` returns false; `drain` waits for half of it. @default 10_000 */
  highWaterMessages: number
  /** Above this many bytes, `send` returns false; `drain` waits for half of it. @default 8_388_608 (8 MiB) */
  highWaterBytes: number
}

/**
 * The per-link queue of sequenced envelopes, in sequence order: first those
 * sent and not yet acknowledged, then those not yet sent.
 * @internal
 */
export class Outbox {
  private entries: OutboxEntry[] = []
  private head = 0
  /** How many entries from `head` have been sent (and await their ack). */
  private sentCount = 0
  private totalBytes = 0
  /** The sequence number the next pushed envelope gets. */
  nextSeq = 1
  /** The highest sequence number the peer has acknowledged (on this numbering). */
  ackedThrough = 0

  constructor(readonly limits: OutboxLimits) {}

  get size(): number {
    return this.entries.length - this.head
  }

  get bytes(): number {
    return this.totalBytes
  }

  get unsent(): number {
    return this.size - this.sentCount
  }

  get unacked(): number {
    return this.sentCount
  }

  get aboveHighWater(): boolean {
    return this.size >= this.limits.highWaterMessages || this.totalBytes >= this.limits.highWaterBytes
  }

  get belowLowWater(): boolean {
    return this.size <= this.limits.highWaterMessages / 2 && this.totalBytes <= this.limits.highWaterBytes / 2
  }

  /** True if an entry of `bytes` bytes would pass the hard bounds. */
  fits(bytes: number): boolean {
    return this.size < this.limits.maxMessages && this.totalBytes + bytes <= this.limits.maxBytes
  }

  /** Appends an entry whose envelope carries `nextSeq`. The caller checked `fits`. */
  push(entry: OutboxEntry): void {
    this.entries.push(entry)
    this.totalBytes += entry.bytes.byteLength
    this.nextSeq++
  }

  /** Marks up to `maxCount` entries and `maxBytes` (at least one entry) as sent, appending them to `into`. */
  takeUnsent(maxBytes: number, maxCount: number, into: OutboxEntry[]): number {
    let bytes = 0
    let i = this.head + this.sentCount
    const end = Math.min(this.entries.length, i + maxCount)
    for (; i < end; i++) {
      const entry = this.entries[i]!
      if (bytes > 0 && bytes + entry.bytes.byteLength > maxBytes) break
      bytes += entry.bytes.byteLength
      into.push(entry)
    }
    this.sentCount = i - this.head
    return bytes
  }

  /** Drops every entry up to and including `seq` (a cumulative ack); returns how many. */
  ack(seq: number): number {
    if (seq > this.ackedThrough) this.ackedThrough = seq
    let removed = 0
    while (this.head < this.entries.length && this.entries[this.head]!.envelope.seq <= seq) {
      this.totalBytes -= this.entries[this.head]!.bytes.byteLength
      this.entries[this.head++] = undefined as unknown as OutboxEntry
      removed++
    }
    this.sentCount = Math.max(0, this.sentCount - removed)
    this.compact()
    return removed
  }

  /** Makes every entry unsent again, to be re-sent from the first unacknowledged one. */
  rewind(): number {
    const resent = this.sentCount
    this.sentCount = 0
    return resent
  }

  /**
   * Numbers the entries contiguously from `firstSeq`, re-encoding those whose
   * number changed (after expiries left gaps, or when the peer restarted).
   */
  renumber(firstSeq: number, encode: (envelope: SequencedEnvelope) => Uint8Array): void {
    let seq = firstSeq
    for (let i = this.head; i < this.entries.length; i++, seq++) {
      const entry = this.entries[i]!
      if (entry.envelope.seq === seq) continue
      entry.envelope = { ...entry.envelope, seq }
      this.totalBytes -= entry.bytes.byteLength
      entry.bytes = encode(entry.envelope)
      this.totalBytes += entry.bytes.byteLength
    }
    this.nextSeq = seq
    if (this.ackedThrough >= firstSeq) this.ackedThrough = firstSeq - 1
  }

  /** The first entry's number, if any. */
  get firstSeq(): number | undefined {
    return this.entries[this.head]?.envelope.seq
  }

  /** Removes and returns the entries past their deadline. Leaves gaps: `renumber` before sending. */
  expire(now: number): OutboxEntry[] {
    return this.take((entry) => entry.deadline <= now)
  }

  /** Removes and returns the entries `which` picks, in order. Leaves gaps: `renumber` before sending. */
  take(which: (entry: OutboxEntry) => boolean): OutboxEntry[] {
    const taken: OutboxEntry[] = []
    const kept: OutboxEntry[] = []
    for (let i = this.head; i < this.entries.length; i++) {
      const entry = this.entries[i]!
      if (which(entry)) {
        taken.push(entry)
        this.totalBytes -= entry.bytes.byteLength
      } else kept.push(entry)
    }
    if (taken.length > 0) {
      this.entries = kept
      this.head = 0
      this.sentCount = 0
    }
    return taken
  }

  /** Removes and returns every entry. */
  clear(): OutboxEntry[] {
    const all = this.entries.slice(this.head)
    this.entries = []
    this.head = 0
    this.sentCount = 0
    this.totalBytes = 0
    return all
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
