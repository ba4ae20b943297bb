import type { Clock, TimerHandle } from '../clock.js'
import { yieldToHost } from '../host.js'

/** A {@link Clock} that moves only when told to. */
export interface TestClock extends Clock {
  /** Timers waiting to fire. */
  readonly pending: number
  /**
   * Moves time forward by `ms`, firing due timers in order. Between timers it
   * lets promises and queued actor work run, so code awaiting a timer sees it.
   */
  advance(ms: number): Promise<void>
}

interface Timer {
  at: number
  seq: number
  fn: () => void
}

/**
 * A manual clock for tests: minutes of timeouts run in milliseconds.
 *
 * @example
 * ```ts
 * const clock = createTestClock()
 * const node = await createNode({ clock })
 * const reply = node.ask('slow@n1', 1, { timeoutMs: 500 })
 * await clock.advance(500) // reply rejects with ASK_TIMEOUT
 * ```
 */
export function createTestClock(start = 0): TestClock {
  let now = start
  let seq = 0
  const timers = new Map<number, Timer>()
  const settle = () => new Promise<void>((resolve) => yieldToHost(resolve))
  const nextDue = (until: number): Timer | undefined => {
    let next: Timer | undefined
    for (const timer of timers.values()) {
      if (
        timer.at <= until &&
        (next === undefined || timer.at < next.at || (timer.at === next.at && timer.seq < next.seq))
      ) {
        next = timer
      }
    }
    return next
  }
  return {
    now: () => now,
    setTimeout(fn: () => void, ms: number): TimerHandle {
      const id = ++seq
      timers.set(id, { at: now + Math.max(0, ms), seq: id, fn })
      return id
    },
    clearTimeout(handle: TimerHandle): void {
      timers.delete(handle as number)
    },
    get pending() {
      return timers.size
    },
    async advance(ms: number): Promise<void> {
      const until = now + ms
      await settle()
      for (let timer = nextDue(until); timer !== undefined; timer = nextDue(until)) {
        timers.delete(timer.seq)
        now = timer.at
        timer.fn()
        await settle()
      }
      now = until
    },
  }
}
