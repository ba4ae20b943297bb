/** Slots of a new mailbox's ring; it doubles as needed, up to the capacity. */
const FIRST_SLOTS = 16
/** A ring larger than this goes back to `FIRST_SLOTS` when it empties, so a burst does not hold memory. */
const KEPT_SLOTS = 16_384

/**
 * A bounded FIFO queue on a ring of slots: a queue that fills and empties
 * over and over reuses the same slots instead of growing an array each time.
 * `push` refuses (returns false) when full; the caller decides what an
 * overflow means.
 * @internal
 */
export class Mailbox<T> {
  private slots: Array<T | undefined> = new Array(FIRST_SLOTS)
  private head = 0
  private count = 0

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.count
  }

  push(item: T): boolean {
    if (this.count >= this.capacity) return false
    if (this.count === this.slots.length) this.grow()
    this.slots[(this.head + this.count) & (this.slots.length - 1)] = item
    this.count++
    return true
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined
    const item = this.slots[this.head]
    this.slots[this.head] = undefined
    this.count--
    if (this.count === 0) {
      this.head = 0
      if (this.slots.length > KEPT_SLOTS) this.slots = new Array(FIRST_SLOTS)
    } else this.head = (this.head + 1) & (this.slots.length - 1)
    return item
  }

  /** Removes and returns everything queued. */
  drain(): T[] {
    const rest: T[] = []
    while (this.count > 0) rest.push(this.shift() as T)
    return rest
  }

  private grow(): void {
    const slots = new Array<T | undefined>(this.slots.length * 2)
    for (let i = 0; i < this.count; i++) slots[i] = this.slots[(this.head + i) & (this.slots.length - 1)]
    this.slots = slots
    this.head = 0
  }
}
