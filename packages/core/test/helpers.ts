import type { DeadLetter, Node } from '@troupe/core'

/** Resolves after every queued microtask and one macrotask have run. */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

/** A promise with its resolve function outside, for steering async handlers. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

/** Collects a node's dead letters. */
export function collectDeadLetters(node: Node): DeadLetter[] {
  const letters: DeadLetter[] = []
  node.on('deadletter', (letter) => letters.push(letter))
  return letters
}
