import type { DeadLetter, Node } from '@troupe/core'
import type { DeadLetterRow } from './protocol.js'

/** The recent dead letters of a node, kept while it is watched. */
export interface DeadLetterLog {
  /** The last ones, oldest first. */
  rows(): DeadLetterRow[]
  /** Stops listening to the node. */
  stop(): void
}

/** Longest `detail` kept: details name addresses and limits, never a whole message. */
const MAX_DETAIL = 200

/**
 * Keeps the last `capacity` dead letters of `node` (their addresses, reason
 * and detail, not their messages) from now on.
 */
export function watchDeadLetters(node: Node, capacity = 20): DeadLetterLog {
  const ring: DeadLetterRow[] = []
  const listener = (dead: DeadLetter): void => {
    ring.push({
      at: Date.now(),
      to: dead.to,
      from: dead.from,
      reason: dead.reason,
      detail: dead.detail === undefined ? undefined : dead.detail.slice(0, MAX_DETAIL),
    })
    if (ring.length > capacity) ring.shift()
  }
  node.on('deadletter', listener)
  return {
    rows: () => [...ring],
    stop: () => void node.off('deadletter', listener),
  }
}
