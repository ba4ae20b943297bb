/**
 * The load one worker puts on the cluster during a phase: a paced stream for
 * latency, or as much as the stack accepts for throughput. Targets are random
 * actors of the other workers, from a PRNG seeded per worker so runs repeat.
 */
import { createRandom } from '@troupe/core/testing'
import { flood, paced } from '../shared/load.js'
import { machineNow, sleep } from '../shared/time.js'
import type { PhaseName } from './protocol.js'
import type { Stack } from './stacks/stack.js'

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
    return stack.send(worker, { to, from, seq: seq++, sentAt: machineNow() }) ? -1 : worker
  }

  await sleep(options.startAt - machineNow())
  const cpuBefore = process.cpuUsage()
  const start = performance.now()
  const end = start + options.seconds * 1_000
  const sent =
    options.phase === 'throughput'
      ? await flood(() => {
          const blocked = sendOne()
          return blocked < 0 ? undefined : stack.drain(blocked)
        }, end)
      : await paced(sendOne, options.rate, start, end)
  const wallMs = performance.now() - start
  const cpu = process.cpuUsage(cpuBefore)
  return { sent, receivedInWindow: options.received(), cpuMs: (cpu.user + cpu.system) / 1_000, wallMs }
}
