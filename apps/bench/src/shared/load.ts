/**
 * The two ways the benchmarks load a link: as fast as it accepts (with
 * backpressure), or paced at a fixed rate that holds whatever the timers do.
 */
import { sleep } from './time.js'

/** Above this many bytes queued on a raw socket, a send reports backpressure. */
export const HIGH_WATER_BYTES = 1 << 20
/** A link under backpressure may send again below this many bytes. */
export const LOW_WATER_BYTES = 1 << 18

/** Messages sent before letting the event loop do I/O. */
const BATCH = 1_000
/** Milliseconds between two bursts of a paced stream. */
const TICK_MS = 10

/**
 * Sends until `end` (a `performance.now()` time) as fast as the link takes it.
 * `sendOne` sends one message and returns a promise to wait for when the link
 * is over its high-water mark. Returns the number of messages sent.
 */
export async function flood(sendOne: () => Promise<void> | undefined, end: number): Promise<number> {
  let sent = 0
  while (performance.now() < end) {
    for (let i = 0; i < BATCH; i++) {
      const blocked = sendOne()
      sent++
      if (blocked === undefined) continue
      await untilOrDeadline(blocked, end)
      if (performance.now() >= end) break
    }
    await new Promise(setImmediate)
  }
  return sent
}

/**
 * Sends `rate` messages per second from `start` until `end` (`performance.now()`
 * times), in bursts every 10 ms that catch up with the schedule, so timer
 * drift never lowers the rate. Returns the number of messages sent.
 */
export async function paced(sendOne: () => void, rate: number, start: number, end: number): Promise<number> {
  let sent = 0
  for (let now = performance.now(); now < end; now = performance.now()) {
    const due = Math.floor(((now - start) * rate) / 1_000)
    for (; sent < due; sent++) sendOne()
    await sleep(TICK_MS)
  }
  return sent
}

/** Resolves when `promise` does or at `end`, whichever comes first. */
async function untilOrDeadline(promise: Promise<void>, end: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, end - performance.now()))
  })
  await Promise.race([promise, deadline])
  clearTimeout(timer)
}
