/**
 * A bounded FIFO queue. `push` refuses (returns false) when full; the caller
 * decides what an overflow means.
 * @internal
 */
export class Mailbox<T> {
  private items: Array<T | undefined> = []
  private head = 0

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.items.length - this.head
  }

  push(item: T): boolean {
    if (this.items.length - this.head >= this.capacity) return false
    this.items.push(item)
    return true
  }

  shift(): T | undefined {
    if (this.head === this.items.length) return undefined
    const item = this.items[this.head]
    this.items[this.head++] = undefined
    if (this.head === this.items.length) {
      this.items.length = 0
      this.head = 0
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      // compact now and then so a queue that never empties does not grow without bound
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return item
  }

  /** Removes and returns everything queued. */
  drain(): T[] {
    const rest = this.items.slice(this.head) as T[]
    this.items = []
    this.head = 0
    return rest
  }
}
