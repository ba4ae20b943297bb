/**
 * Rebalance: keys active on two hubs, then a third hub that defines the kind
 * joins. Timed from the moment the new hub's node starts (its process is up
 * already) until every key has answered from its owner among the three, with
 * the count it had (state moved, not lost): the caller asks again, and again,
 * every key that has not yet.
 */
import type { EntityMetrics } from '@troupe/node'
import { loadAverage } from '../shared/system.js'
import { machineNow, withTimeout } from '../shared/time.js'
import type { Failures } from './askLoops.js'
import type { EntityCluster, StorageTimes } from './cluster.js'
import type { LoopDelay } from './hubChild.js'
import { ownersOf, type Placement } from './placement.js'

/** What the rebalance run needs. */
export interface RebalanceOptions {
  keys: number
  /** Asks in flight from the caller, activating and sweeping. */
  concurrency: number
  /** Bound on the sweeps after the join. */
  maxMs: number
}

/** What the rebalance run saw. */
export interface RebalanceFigures {
  keys: number
  /** Time to activate every key on the first two hubs, and asks that failed then. */
  activationMs: number
  activationFailures: Failures
  /** Keys activated on another hub than placement gives them (that hub was held down for a while). */
  misplaced: number
  /** Member-down events the hubs saw while activating, and from the join to the end (none expected). */
  activationDowns: Record<string, string[]>
  rebalanceDowns: Record<string, string[]>
  /** Keys whose owner is the new hub. */
  moved: number
  /** From the new hub's start to the caller seeing it up. */
  joinMs: number
  /** From the new hub's start to the last key answering from its new owner; null if some never did. */
  rebalanceMs: number | null
  /** Keys that answered from their new owner (all of them, when complete). */
  confirmed: number
  sweeps: number
  asks: number
  /** Keys that answered from their new owner with another count than the one they had. */
  wrongCount: number
  sweepFailures: Failures
  /** The hubs' storage calls and worst event-loop delay while activating, and from the join to the end. */
  activationStorage: StorageTimes
  activationLoopDelay: LoopDelay
  rebalanceStorage: StorageTimes
  rebalanceLoopDelay: LoopDelay
  /** Handler errors on the hubs over the run, by message. */
  actorErrors: Record<string, number>
  /** Entity counters of the first hubs before the join, and of every hub at the end. */
  metricsBeforeJoin: Record<string, EntityMetrics>
  metricsAfter: Record<string, EntityMetrics>
  loadAverage: number
}

async function metricsOf(cluster: EntityCluster): Promise<Record<string, EntityMetrics>> {
  const metrics: Record<string, EntityMetrics> = {}
  for (const id of cluster.hubIds()) metrics[id] = await cluster.hub(id).call('entityMetrics')
  return metrics
}

/** Activates `options.keys` keys on the cluster's hubs, then joins hub `newcomer` and times the rebalance. */
export async function measureRebalance(
  cluster: EntityCluster,
  placement: Placement,
  newcomer: string,
  options: RebalanceOptions,
  progress: (line: string) => void,
): Promise<RebalanceFigures> {
  const { caller } = cluster
  const before = cluster.hubIds()
  const keys = Array.from({ length: options.keys }, (_, i) => `rb-${i}`)
  await cluster.storageTimes()
  await cluster.loopDelay()
  await cluster.memberDowns()
  const activationStart = performance.now()
  const activation = await withTimeout(
    caller.call('askEveryKey', keys, 'inc', options.concurrency),
    options.maxMs,
    `activating ${options.keys} keys`,
  )
  const activationMs = performance.now() - activationStart
  const activationStorage = await cluster.storageTimes()
  const activationLoopDelay = await cluster.loopDelay()
  progress(
    `${options.keys.toLocaleString()} keys activated on ${before.join(', ')} in ${(activationMs / 1_000).toFixed(1)} s (${activation.failures} failed)`,
  )
  const placed = ownersOf(placement, keys, before)
  // a hub that missed heartbeats (a loaded machine, a hub stalled in storage calls) is declared down for a
  // while: its keys are activated on the other one meanwhile
  const misplaced = keys.filter(
    (key) => activation.owners[key] !== undefined && activation.owners[key] !== placed[key],
  )
  const activationDowns = await cluster.memberDowns()
  const metricsBeforeJoin = await metricsOf(cluster)

  const after = [...before, newcomer]
  const expected = ownersOf(placement, keys, after)
  const moved = keys.filter((key) => expected[key] === newcomer).length
  await cluster.spawnHub(newcomer)
  await cluster.memberDowns()
  await cluster.storageTimes()
  await cluster.loopDelay()
  const startedAt = machineNow()
  const joining = cluster.join(newcomer)
  await withTimeout(caller.call('waitForMembers', [newcomer]), 30_000, `the caller seeing ${newcomer} up`)
  const joinMs = machineNow() - startedAt
  const sweep = await withTimeout(
    caller.call('sweepUntilOwned', expected, 1, options.concurrency, options.maxMs),
    options.maxMs + 30_000,
    'sweeping until every key answers from its owner',
  )
  await joining
  const rebalanceStorage = await cluster.storageTimes()
  const rebalanceLoopDelay = await cluster.loopDelay()
  const rebalanceDowns = await cluster.memberDowns()
  const complete = sweep.confirmed === keys.length && sweep.lastConfirmedAt !== null
  return {
    keys: keys.length,
    activationMs,
    misplaced: misplaced.length,
    activationDowns,
    rebalanceDowns,
    activationFailures: { failures: activation.failures, firstFailure: activation.firstFailure },
    moved,
    joinMs,
    rebalanceMs: complete ? sweep.lastConfirmedAt! - startedAt : null,
    confirmed: sweep.confirmed,
    sweeps: sweep.sweeps,
    asks: sweep.asks,
    wrongCount: sweep.wrongCount,
    sweepFailures: { failures: sweep.failures, firstFailure: sweep.firstFailure },
    activationStorage,
    activationLoopDelay,
    rebalanceStorage,
    rebalanceLoopDelay,
    metricsBeforeJoin,
    metricsAfter: await metricsOf(cluster),
    actorErrors: await cluster.actorErrors(),
    loadAverage: loadAverage(),
  }
}
