import { hostClearTimeout, hostNow, hostSetTimeout } from './host.js'

/** An opaque timer handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown

/**
 * Time as the runtime sees it. Injected so tests can run minutes of timers in
 * milliseconds (see `createTestClock` in `@troupe/core/testing`).
 */
export interface Clock {
  /** Milliseconds since an arbitrary fixed point; never goes backwards. */
  now(): number
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
}

/** The platform clock: `performance.now()` and the global timers. */
export const realClock: Clock = {
  now: hostNow,
  setTimeout: hostSetTimeout,
  clearTimeout: hostClearTimeout,
}
