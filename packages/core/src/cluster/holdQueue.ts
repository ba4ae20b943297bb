import type { SequencedEnvelope } from '../wire/envelope.js'

/** A message waiting for a route to its node. @internal */
export interface HeldEnvelope {
  readonly node: string
  readonly envelope: SequencedEnvelope
  readonly deadline: number
}

/**
 * Messages for nodes this node has no route to yet (not linked, not known
 * behind a linked hub). They wait until a route appears or their TTL ends.
 * @internal
 */
export class HoldQueue {
  private readonly byNode = new Map<string, HeldEnvelope[]>()
  private count = 0

  constructor(private readonly maxMessages: number) {}

  get size(): number {
    return this.count
  }

  /** False when the queue is full. */
  hold(entry: HeldEnvelope): boolean {
    if (this.count >= this.maxMessages) return false
    let list = this.byNode.get(entry.node)
    if (list === undefined) {
      list = []
      this.byNode.set(entry.node, list)
    }
    list.push(entry)
    this.count++
    return true
  }

  nodes(): string[] {
    return [...this.byNode.keys()]
  }

  /** Removes and returns the messages for `node`, in the order they were held. */
  release(node: string): HeldEnvelope[] {
    const list = this.byNode.get(node) ?? []
    this.byNode.delete(node)
    this.count -= list.length
    return list
  }

  /** Removes and returns the messages past their deadline. */
  expire(now: number): HeldEnvelope[] {
    const expired: HeldEnvelope[] = []
    for (const [node, list] of this.byNode) {
      const kept: HeldEnvelope[] = []
      for (const entry of list) (entry.deadline > now ? kept : expired).push(entry)
      if (kept.length === 0) this.byNode.delete(node)
      else this.byNode.set(node, kept)
    }
    this.count -= expired.length
    return expired
  }

  clear(): HeldEnvelope[] {
    const all = [...this.byNode.values()].flat()
    this.byNode.clear()
    this.count = 0
    return all
  }
}
