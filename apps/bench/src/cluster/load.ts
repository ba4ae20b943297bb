/**
 * The load one worker puts on the cluster during a phase: a paced stream for
 * latency, or as much as the stack accepts for throughput. Targets are random
 * actors of the other workers, from a PRNG seeded per worker so runs repeat.
 */
import { createRandom } from '@troupe/core/testing'
import type { PhaseName } from './protocol.js'
import { wallNow } from './protocol.js'
import type { Stack } from './stacks/stack.js'

/** Milliseconds between two bursts of the paced (latency) phase. */
const TICK_MS = 10
/** Messages the throughput phase sends before letting the event loop do I/O. */
const BATCH = 1_000

/** What a worker needs to load the cluster for one phase. */
export interface LoadOptions {
  stack: Stack
  phase: PhaseName
  index: number
  workers: number
  actors: number
  /** Messages per second; not for `throughput`. */
  rate: number
  seconds: number
  /** Wall-clock start shared by every worker. */
  startAt: number
  /** Messages this worker's actors received so far in the phase. */
  received: () => number
}

/** What one worker measured over one phase. */
export interface LoadResult {
  sent: number
  receivedInWindow: number
  cpuMs: number
  wallMs: number
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))

/**
 * Waits for `startAt`, loads the cluster for `seconds`, and reports what was
 * sent and received and the CPU this process used meanwhile.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { stack, index, workers, actors } = options
  const random = createRandom(index + 1).next
  let seq = 0
  /** Sends one message; returns the target worker if its link is over the high-water mark, else -1. */
  const sendOne = (): number => {
    let worker = Math.floor(random() * (workers - 1))
    if (worker >= index) worker++
    const to = Math.floor(random() * actors)
    const from = Math.floor(random() * actors)
    return stack.send(worker, { to, from, seq: seq++, sentAt: wallNow() }) ? -1 : worker
  }

  await sleep(options.startAt - wallNow())
  const cpuBefore = process.cpuUsage()
  const start = performance.now()
  const end = start + options.seconds * 1_000
  const sent =
    options.phase === 'throughput'
      ? await flood(sendOne, stack, end)
      : await paced(sendOne, options.rate, start, end)
  const wallMs = performance.now() - start
  const cpu = process.cpuUsage(cpuBefore)
  return { sent, receivedInWindow: options.received(), cpuMs: (cpu.user + cpu.system) / 1_000, wallMs }
}

async function paced(sendOne: () => number, rate: number, start: number, end: number): Promise<number> {
  let sent = 0
  for (let now = performance.now(); now < end; now = performance.now()) {
    // catch up to the schedule, not to the tick count: timers drift, the rate must not
    const due = Math.floor(((now - start) * rate) / 1_000)
    for (; sent < due; sent++) sendOne()
    await sleep(TICK_MS)
  }
  return sent
}

async function flood(sendOne: () => number, stack: Stack, end: number): Promise<number> {
  let sent = 0
  while (performance.now() < end) {
    for (let i = 0; i < BATCH; i++) {
      const blocked = sendOne()
      sent++
      if (blocked < 0) continue
      await untilOrDeadline(stack.drain(blocked), end)
      if (performance.now() >= end) break
    }
    await new Promise(setImmediate)
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
