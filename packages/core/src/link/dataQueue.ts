/** The first packing buffer of a queue; each next one is twice as big, up to a frame. */
const FIRST_PACKING_BYTES = 4_096

/**
 * The data envelopes a link holds for its next frames, in order, as parts to
 * join into frames. Small envelopes are copied one after another into a
 * packing buffer: nothing is allocated per envelope, and nothing an envelope
 * came from is kept. A large body its origin keeps unchanged until
 * acknowledged goes by reference: it is not held twice.
 * @internal
 */
export class DataQueue {
  /** Bytes queued. */
  bytes = 0
  /** Sealed parts, oldest first; the packing buffer comes after them. */
  private parts: Uint8Array[] = []
  /** How many envelopes end in each part. */
  private ends: number[] = []
  private first = 0
  private packing: Uint8Array | undefined
  private packed = 0
  private packedEnvelopes = 0
  private packingBytes = 0

  /** `frameBytes`: most bytes of envelopes in one frame, unless one envelope alone is bigger. */
  constructor(private readonly frameBytes: number) {
    this.dropPacking()
  }

  get isEmpty(): boolean {
    return this.bytes === 0
  }

  /** Queues one envelope: `bytes` are copied, except `body`, their last bytes, which is kept as it is. */
  push(bytes: Uint8Array, body?: Uint8Array): void {
    this.bytes += bytes.byteLength
    if (body === undefined) {
      this.pack(bytes, 1)
      return
    }
    this.seal()
    this.add(bytes.slice(0, bytes.byteLength - body.byteLength), 0)
    this.add(body, 1)
  }

  /**
   * Moves whole envelopes from the front into `out`, for a frame: at least
   * one, then as many as fit. Returns how many.
   */
  takeInto(out: Uint8Array[]): number {
    const maxBytes = this.frameBytes
    let bytes = 0
    let envelopes = 0
    let i = this.first
    while (i < this.parts.length) {
      // a part no envelope ends in is a large envelope's head: its body is the next part
      const span = this.ends[i] === 0 ? 2 : 1
      const size = this.parts[i]!.byteLength + (span === 2 ? this.parts[i + 1]!.byteLength : 0)
      if (bytes > 0 && bytes + size > maxBytes) break
      for (let k = i; k < i + span; k++) out.push(this.parts[k]!)
      bytes += size
      envelopes += this.ends[i + span - 1]!
      i += span
    }
    const allParts = i === this.parts.length
    this.dropParts(i)
    const packing = this.packing
    if (allParts && packing !== undefined && (bytes === 0 || bytes + this.packed <= maxBytes)) {
      out.push(packing.subarray(0, this.packed))
      bytes += this.packed
      envelopes += this.packedEnvelopes
      this.dropPacking() // the frame is a copy: the buffer is not needed again
    }
    this.bytes -= bytes
    return envelopes
  }

  clear(): void {
    this.bytes = 0
    this.dropParts(this.parts.length)
    this.dropPacking()
  }

  private pack(bytes: Uint8Array, ends: number): void {
    const size = bytes.byteLength
    if (this.packing !== undefined && this.packed + size > this.packing.byteLength) this.seal()
    // a mostly empty buffer stays after sealing: it may still be too small
    if (this.packing === undefined || this.packed + size > this.packing.byteLength) {
      this.packing = new Uint8Array(Math.max(this.packingBytes, size))
      this.packingBytes = Math.min(2 * this.packingBytes, this.frameBytes)
    }
    this.packing.set(bytes, this.packed)
    this.packed += size
    this.packedEnvelopes += ends
  }

  /** Makes what is packed a part of its own. */
  private seal(): void {
    const packing = this.packing
    if (packing === undefined || this.packed === 0) return
    if (this.packed >= packing.byteLength / 2) {
      this.add(packing.subarray(0, this.packed), this.packedEnvelopes)
      this.packing = undefined
    } else {
      // mostly empty: copied out, so a part never holds on to more than twice its bytes
      this.add(packing.slice(0, this.packed), this.packedEnvelopes)
    }
    this.packed = 0
    this.packedEnvelopes = 0
  }

  private dropPacking(): void {
    this.packing = undefined
    this.packed = 0
    this.packedEnvelopes = 0
    this.packingBytes = Math.min(FIRST_PACKING_BYTES, this.frameBytes)
  }

  private add(part: Uint8Array, ends: number): void {
    this.parts.push(part)
    this.ends.push(ends)
  }

  /** Forgets the parts before index `end`. */
  private dropParts(end: number): void {
    if (end === this.parts.length) {
      this.parts = []
      this.ends = []
      this.first = 0
    } else if (end >= 1_024) {
      this.parts = this.parts.slice(end)
      this.ends = this.ends.slice(end)
      this.first = 0
    } else this.first = end
  }
}
