/**
 * Two measurements on a running cluster: the latency of a first (activating)
 * message to a new key against one to an active key, and ask throughput to
 * entities against plain actors on the same hubs, sequential and with
 * concurrent callers.
 */
import { type LatencySummary, mergeAll, summarize } from '../shared/histogram.js'
import { perSecond } from '../shared/stats.js'
import { loadAverage } from '../shared/system.js'
import { withTimeout } from '../shared/time.js'
import type { Failures } from './askLoops.js'
import type { EntityCluster, StorageTimes } from './cluster.js'
import type { LoopDelay } from './hubChild.js'

/** First message to a new key vs to an active one, and a plain actor's ask for reference. */
export interface ActivationFigures {
  keys: number
  first: LatencySummary
  active: LatencySummary
  plain: LatencySummary
  loadAverage: number
}

/** One closed-loop run. */
export interface ThroughputRow extends Failures {
  target: 'entity' | 'plain'
  concurrency: number
  asksPerSecond: number
  latency: LatencySummary
  /** The worst event-loop delay of a hub during the run (ms). */
  hubLoopDelay: LoopDelay
  /** The hubs' storage calls during the run. */
  storage: StorageTimes
  /** Member-down events the hubs saw during the run (none expected: no hub is stopped). */
  downs: Record<string, string[]>
}

/** What a throughput measurement needs. */
export interface ThroughputOptions {
  concurrency: number
  seconds: number
  warmupSeconds: number
}

/** Percentiles of a histogram sent over IPC. */
export const summaryOf = (sparse: [number, number][]) => summarize(mergeAll([sparse]))

/** For each of `keys` new keys in turn: the activating `inc`, then an `inc` to it active, then a plain ask. */
export async function measureActivation(
  cluster: EntityCluster,
  prefix: string,
  keys: number,
): Promise<ActivationFigures> {
  const result = await withTimeout(
    cluster.caller.call('firstVersusActive', prefix, keys),
    60_000 + keys * 1_000,
    'first vs active messages',
  )
  return {
    keys,
    first: summaryOf(result.first),
    active: summaryOf(result.active),
    plain: summaryOf(result.plain),
    loadAverage: loadAverage(),
  }
}

/**
 * Activates a pool of keys (as many as the concurrency, at least 48, spread
 * over the hubs), then runs closed loops of `inc`: one caller, then
 * `concurrency` callers, each against the entities and against the plain
 * actors on the entities' owners.
 */
export async function measureThroughput(
  cluster: EntityCluster,
  options: ThroughputOptions,
): Promise<ThroughputRow[]> {
  const keys = Array.from({ length: Math.max(48, options.concurrency) }, (_, i) => `tp-${i}`)
  const pool = await withTimeout(
    cluster.caller.call('askEveryKey', keys, 'get', 16),
    60_000,
    'activating the throughput keys',
  )
  if (pool.failures > 0) throw new Error(`activating the throughput keys: ${pool.firstFailure}`)
  const run = (target: 'entity' | 'plain', concurrency: number, seconds: number) =>
    withTimeout(
      cluster.caller.call('closedLoops', target, keys, pool.owners, concurrency, seconds),
      seconds * 1_000 + 60_000,
      `${target} asks × ${concurrency}`,
    )
  await run('entity', options.concurrency, options.warmupSeconds)
  await run('plain', options.concurrency, options.warmupSeconds)
  const rows: ThroughputRow[] = []
  for (const concurrency of [1, options.concurrency]) {
    for (const target of ['entity', 'plain'] as const) {
      await cluster.loopDelay()
      await cluster.storageTimes()
      await cluster.memberDowns()
      const r = await run(target, concurrency, options.seconds)
      rows.push({
        hubLoopDelay: await cluster.loopDelay(),
        storage: await cluster.storageTimes(),
        downs: await cluster.memberDowns(),
        target,
        concurrency,
        asksPerSecond: perSecond(r.done, r.ms),
        latency: summaryOf(r.latency),
        failures: r.failures,
        firstFailure: r.firstFailure,
      })
    }
  }
  return rows
}
