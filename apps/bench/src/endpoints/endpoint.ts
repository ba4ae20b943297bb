/**
 * One end of the ask and relay benchmarks, whatever the stack: it answers
 * asks with an echo, counts tells, and talks to other endpoints by id.
 */
import type { Payload } from '../shared/payload.js'

/** The stacks an endpoint can run on. */
export type EndpointStack = 'ws' | 'troupe'

/** Messages an endpoint's sink counted, and when the last one arrived (`performance.now()` of its process). */
export interface Received {
  count: number
  lastAt: number
  /** `performance.now()` when this was read. */
  now: number
}

/** A connected endpoint. */
export interface Endpoint {
  readonly id: string
  /** Sends `payload` to endpoint `to`'s echo and resolves with the reply. */
  ask(to: string, payload: Payload): Promise<unknown>
  /** Fire and forget to endpoint `to`'s sink; false once the link is above its high-water mark. */
  send(to: string, payload: Payload): boolean
  /** Resolves when the link towards `to` is back under its low-water mark. */
  drain(to: string): Promise<void>
  received(): Received
  close(): Promise<void>
}

/** What an endpoint's sink does with a tell: count it and note when. */
export function createSinkCounter(): { count(): void; read(): Received } {
  let count = 0
  let lastAt = 0
  return {
    count() {
      count++
      lastAt = performance.now()
    },
    read: () => ({ count, lastAt, now: performance.now() }),
  }
}

/** How long an ask waits for its reply before failing. */
export const ASK_TIMEOUT_MS = 5_000
