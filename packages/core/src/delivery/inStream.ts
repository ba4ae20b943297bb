import type { DataEnvelope } from '../wire/envelope.js'

/**
 * What this node knows of the stream from one origin: which incarnation of it,
 * the next position to deliver, and the envelopes that arrived in order but
 * wait for room in a full mailbox (bounded; past the bound they are dropped
 * unacknowledged, and the origin sends them again later).
 * @internal
 */
export class InStream {
  /** The next position to hand to the node. */
  expected: number
  /** Clock time this stream was last heard from. */
  lastHeard: number
  /** Envelopes received in order and not yet taken by the node, from `expected` on. */
  backlog: DataEnvelope[] | undefined
  backlogBytes = 0
  /** Clock time the head of the backlog started waiting. */
  backlogSince = 0
  /** Envelopes delivered since the last ack. */
  sinceAck = 0
  ackOwed = false
  gapOwed = false

  constructor(
    readonly origin: string,
    readonly incarnation: number,
    base: number,
    now: number,
  ) {
    this.expected = base
    this.lastHeard = now
  }

  /** The position the next envelope to arrive must have. */
  get next(): number {
    return this.expected + (this.backlog?.length ?? 0)
  }

  /** The origin no longer has anything below `base` (it was acknowledged, or skipped): start there. */
  skipTo(base: number): void {
    this.expected = base
    this.backlog = undefined
    this.backlogBytes = 0
  }

  defer(envelope: DataEnvelope, now: number): void {
    if (this.backlog === undefined) {
      this.backlog = []
      this.backlogSince = now
    }
    this.backlog.push(envelope)
    this.backlogBytes += bodyBytes(envelope)
  }

  /** Takes the head of the backlog, once the node has taken it. */
  shift(now: number): void {
    const head = this.backlog!.shift()!
    this.backlogBytes -= bodyBytes(head)
    this.expected++
    this.backlogSince = now
    if (this.backlog!.length === 0) this.backlog = undefined
  }
}

/** Bytes an envelope's body holds (skips have none). */
export function bodyBytes(envelope: DataEnvelope): number {
  return envelope.type === 'skip' ? 0 : envelope.body.byteLength
}
