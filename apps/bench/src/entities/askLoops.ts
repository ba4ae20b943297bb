/**
 * The caller's ways of asking counters: once per key (to activate or to find
 * owners), sequential first-versus-active pairs, closed loops for throughput,
 * and sweeps until every key answers from its expected owner. Each is given
 * the ask to use, so entities and plain actors run through the same code.
 */
import { createHistogram } from '../shared/histogram.js'
import { errorText, machineNow, sleep } from '../shared/time.js'
import type { CounterReply } from './counter.js'

/** Asks the counter of `key` (an entity, or the plain actor on the key's owner). */
export type CounterAsk = (key: string, op: 'inc' | 'get', seq?: number) => Promise<CounterReply>

/** Asks that failed, and the first error. */
export interface Failures {
  failures: number
  firstFailure: string | null
}

/** Runs `work` on every item, at most `concurrency` at once. */
export async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0
  const lane = async () => {
    while (next < items.length) await work(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane))
}

/** Asks every key once (`inc` activates a new key); resolves with who answered each. */
export async function askEveryKey(
  ask: CounterAsk,
  keys: readonly string[],
  op: 'inc' | 'get',
  concurrency: number,
): Promise<{ owners: Record<string, string>; counts: Record<string, number> } & Failures> {
  const owners: Record<string, string> = {}
  const counts: Record<string, number> = {}
  const failed: Failures = { failures: 0, firstFailure: null }
  await forEachConcurrently(keys, concurrency, async (key) => {
    try {
      const { n, on } = await ask(key, op)
      owners[key] = on
      counts[key] = n
    } catch (error) {
      failed.failures++
      failed.firstFailure ??= errorText(error)
    }
  })
  return { owners, counts, ...failed }
}

/**
 * For each of `count` new keys, one at a time: an `inc` that activates the
 * entity, an `inc` to it once active, and an `inc` to the plain actor on the
 * node that answered. Latencies as sparse histograms.
 */
export async function firstVersusActive(
  entity: CounterAsk,
  plain: (owner: string, key: string) => Promise<CounterReply>,
  prefix: string,
  count: number,
) {
  const first = createHistogram()
  const active = createHistogram()
  const plainAsk = createHistogram()
  for (let i = 0; i < count; i++) {
    const key = `${prefix}${i}`
    let at = performance.now()
    const { on } = await entity(key, 'inc')
    first.record(performance.now() - at)
    at = performance.now()
    await entity(key, 'inc')
    active.record(performance.now() - at)
    at = performance.now()
    await plain(on, key)
    plainAsk.record(performance.now() - at)
  }
  return { first: first.toJSON(), active: active.toJSON(), plain: plainAsk.toJSON() }
}

/**
 * `concurrency` closed loops of `inc` asks for `seconds`; loop `i` takes keys
 * `i`, `i + concurrency`, ... in turn, so no two loops ask one key.
 */
export async function closedLoops(
  ask: CounterAsk,
  keys: readonly string[],
  concurrency: number,
  seconds: number,
) {
  if (keys.length < concurrency) throw new Error(`${keys.length} keys for ${concurrency} loops`)
  const latency = createHistogram()
  const failed: Failures = { failures: 0, firstFailure: null }
  let done = 0
  const start = performance.now()
  const end = start + seconds * 1_000
  const loop = async (lane: number) => {
    const mine = keys.filter((_, i) => i % concurrency === lane)
    for (let i = 0; performance.now() < end; i++) {
      const sentAt = performance.now()
      try {
        await ask(mine[i % mine.length]!, 'inc')
        latency.record(performance.now() - sentAt)
        done++
      } catch (error) {
        failed.failures++
        failed.firstFailure ??= errorText(error)
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, (_, lane) => loop(lane)))
  return { done, ms: performance.now() - start, latency: latency.toJSON(), ...failed }
}

/** What a sweep found: when the last key answered from its expected owner (wall clock), and what went wrong. */
export interface SweepResult extends Failures {
  confirmed: number
  lastConfirmedAt: number | null
  sweeps: number
  asks: number
  /** Keys that answered from the expected owner with a count other than `expectedCount`. */
  wrongCount: number
}

/**
 * Asks `get` of every key not yet confirmed, again and again, until each has
 * answered from `expected[key]` or `maxMs` have passed.
 */
export async function sweepUntilOwned(
  ask: CounterAsk,
  expected: Record<string, string>,
  expectedCount: number,
  concurrency: number,
  maxMs: number,
): Promise<SweepResult> {
  const pending = new Set(Object.keys(expected))
  const result: SweepResult = {
    confirmed: 0,
    lastConfirmedAt: null,
    sweeps: 0,
    asks: 0,
    wrongCount: 0,
    failures: 0,
    firstFailure: null,
  }
  const giveUpAt = performance.now() + maxMs
  while (pending.size > 0 && performance.now() < giveUpAt) {
    result.sweeps++
    const before = pending.size
    await forEachConcurrently([...pending], concurrency, async (key) => {
      try {
        const { n, on } = await ask(key, 'get')
        result.asks++
        if (on !== expected[key]) return
        pending.delete(key)
        result.confirmed++
        result.lastConfirmedAt = machineNow()
        if (n !== expectedCount) result.wrongCount++
      } catch (error) {
        result.failures++
        result.firstFailure ??= errorText(error)
      }
    })
    // nothing moved yet: let the cluster work rather than ask the old owners again at once
    if (pending.size === before) await sleep(10)
  }
  return result
}
