/**
 * When to look at each of many links again, without walking all of them on
 * every tick: a ring of buckets, one per tick, each holding the links due
 * then. A link heard from in the meantime is simply put back further on when
 * its bucket comes up, so a busy link costs nothing between looks.
 * @internal
 */
export class SilenceWheel<T> {
  private readonly buckets: Array<Set<T>>
  private readonly slotOf = new Map<T, number>()
  /** The last tick whose bucket was emptied. */
  private done: number

  constructor(
    private readonly tickMs: number,
    now: number,
    slots = 256,
  ) {
    this.buckets = Array.from({ length: slots }, () => new Set<T>())
    this.done = Math.floor(now / tickMs)
  }

  get size(): number {
    return this.slotOf.size
  }

  /** Makes `item` due at clock time `at` (or at the far end of the ring, to be looked at and put back then). */
  schedule(item: T, at: number): void {
    this.remove(item)
    const horizon = this.done + this.buckets.length - 1
    const slot = Math.min(Math.max(Math.ceil(at / this.tickMs), this.done + 1), horizon)
    this.buckets[slot % this.buckets.length]!.add(item)
    this.slotOf.set(item, slot)
  }

  remove(item: T): void {
    const slot = this.slotOf.get(item)
    if (slot === undefined) return
    this.buckets[slot % this.buckets.length]!.delete(item)
    this.slotOf.delete(item)
  }

  /** Takes out and returns the items due by clock time `now`. */
  due(now: number): T[] {
    const due: T[] = []
    const until = Math.floor(now / this.tickMs)
    for (let tick = this.done + 1; tick <= until && tick <= this.done + this.buckets.length; tick++) {
      const bucket = this.buckets[tick % this.buckets.length]!
      for (const item of bucket) {
        due.push(item)
        this.slotOf.delete(item)
      }
      bucket.clear()
    }
    this.done = Math.max(this.done, until)
    return due
  }
}
