/**
 * Entities (virtual actors) across processes: the cost of a first message
 * that activates an entity, entity asks against plain actor asks on the same
 * hubs (SQLite and NATS storage), failover after SIGKILLs of the owning hub,
 * and the rebalance of 10,000 keys when a hub joins. Hubs, the caller and the
 * NATS server are separate processes; nothing is pinned (more busy processes
 * than cores).
 */
import { DEFAULTS } from '@troupe/core/internal'
import { recordFigures } from '../shared/figures.js'
import { envNumber } from '../shared/stats.js'
import { describeMachine, loadAverage } from '../shared/system.js'
import { errorText } from '../shared/time.js'
import { type EntityCluster, startEntityCluster } from './cluster.js'
import { KIND } from './counter.js'
import { type FailoverFigures, measureFailover } from './failover.js'
import {
  type ActivationFigures,
  measureActivation,
  measureThroughput,
  type ThroughputRow,
} from './latencyAndThroughput.js'
import { checkPlacement, loadPlacement, ownersOf, type Placement } from './placement.js'
import { measureRebalance, type RebalanceFigures } from './rebalance.js'
import { printActivation, printFailover, printRebalance, printThroughput } from './report.js'
import type { StorageEngineName } from './storageSpec.js'
import { prepareStorage } from './storages.js'

const HUBS = ['h1', 'h2', 'h3']
const PARTS = ['activation', 'throughput', 'failover', 'rebalance'] as const
type Part = (typeof PARTS)[number]

/** A comma-separated list from environment variable `name`, each item one of `allowed`. */
function envChoice<T extends string>(name: string, allowed: readonly T[], fallback: readonly T[]): T[] {
  const raw = process.env[name]
  if (raw === undefined || raw.trim() === '') return [...fallback]
  return raw.split(',').map((part) => {
    const item = part.trim() as T
    if (!allowed.includes(item))
      throw new Error(`${name}: unknown "${item}": choose from ${allowed.join(', ')}`)
    return item
  })
}

const ENGINES: readonly StorageEngineName[] = ['sqlite', 'nats']

/** Waits until every key of a small probe answers from the owner placement gives it among `hosts`. */
async function checkPlacementOn(
  cluster: EntityCluster,
  placement: Placement,
  hosts: string[],
): Promise<void> {
  const keys = Array.from({ length: 30 }, (_, i) => `probe-${i}`)
  const expected = ownersOf(placement, keys, hosts)
  const giveUpAt = performance.now() + 10_000
  for (;;) {
    const { owners } = await cluster.caller.call('askEveryKey', keys, 'get', 8)
    try {
      checkPlacement(expected, owners, 'placement check')
      return
    } catch (error) {
      if (performance.now() > giveUpAt) throw error
    }
  }
}

/**
 * Runs the entity benchmark and prints its tables. Environment:
 * `ENTITIES_PARTS` (default `activation,throughput,failover,rebalance`),
 * `ENTITIES_STORAGES` (for activation and throughput, default `sqlite,nats`),
 * `ENTITIES_FAILOVER_STORAGES` (default `sqlite`), `ENTITIES_REBALANCE_STORAGE`
 * (default `sqlite`), `ENTITIES_ACTIVATIONS` (new keys timed, default 300),
 * `ENTITIES_SECONDS` (per throughput run, default 3), `ENTITIES_CONCURRENCY`
 * (concurrent callers, default 16), `ENTITIES_KILLS` (default 20),
 * `ENTITIES_FAILOVER_KEYS` (keys per hub, default 4), `ENTITIES_REBALANCE_KEYS`
 * (default 10,000).
 */
export async function benchEntities(): Promise<void> {
  const parts = envChoice<Part>('ENTITIES_PARTS', PARTS, PARTS)
  const storages = envChoice('ENTITIES_STORAGES', ENGINES, ENGINES)
  const failoverStorages = envChoice('ENTITIES_FAILOVER_STORAGES', ENGINES, ['sqlite'])
  const rebalanceStorage: StorageEngineName =
    envChoice('ENTITIES_REBALANCE_STORAGE', ENGINES, ['sqlite'])[0] ?? 'sqlite'
  const activations = envNumber('ENTITIES_ACTIVATIONS', 300)
  const throughput = {
    seconds: envNumber('ENTITIES_SECONDS', 3),
    concurrency: envNumber('ENTITIES_CONCURRENCY', 16),
    warmupSeconds: 1,
  }
  const failover = {
    kills: envNumber('ENTITIES_KILLS', 20),
    keysPerHub: envNumber('ENTITIES_FAILOVER_KEYS', 4),
  }
  const rebalance = { keys: envNumber('ENTITIES_REBALANCE_KEYS', 10_000), concurrency: 64, maxMs: 180_000 }
  const leaseMs = DEFAULTS.entityLeaseMs
  const progress = (line: string) => console.log(`  ${line}`)

  console.log('\n## Entities: activation, throughput against plain actors, failover, rebalance\n')
  console.log(describeMachine())
  console.log(
    `not pinned: ${HUBS.length} hub processes, a caller process and a NATS server share the cores; entity lease ${leaseMs} ms, defaults otherwise`,
  )
  const placement = await loadPlacement(KIND)
  const activation: Partial<Record<StorageEngineName, ActivationFigures>> = {}
  const asks: Partial<Record<StorageEngineName, ThroughputRow[]>> = {}
  const failovers: Partial<Record<StorageEngineName, FailoverFigures>> = {}
  let rebalanced: RebalanceFigures | undefined
  const errors: string[] = []
  const storageDescriptions: Record<string, string> = {}
  const fsyncMs: Record<string, unknown> = {}
  const loadAverages: Record<string, number> = { start: loadAverage() }

  const clusterEngines = ENGINES.filter(
    (engine) =>
      ((parts.includes('activation') || parts.includes('throughput')) && storages.includes(engine)) ||
      (parts.includes('failover') && failoverStorages.includes(engine)),
  )
  for (const engine of clusterEngines) {
    const storage = await prepareStorage(engine, leaseMs)
    storageDescriptions[engine] = storage.description
    if (storage.fsyncMs !== undefined) fsyncMs[engine] = storage.fsyncMs
    console.log(`\n${engine}: ${storage.description}`)
    let cluster: EntityCluster | undefined
    try {
      cluster = await startEntityCluster(HUBS, storage.spec)
      await checkPlacementOn(cluster, placement, HUBS)
      if (parts.includes('activation') && storages.includes(engine)) {
        activation[engine] = await measureActivation(cluster, 'new-', activations)
        progress(`activation: ${activations} new keys timed`)
      }
      if (parts.includes('throughput') && storages.includes(engine)) {
        asks[engine] = await measureThroughput(cluster, throughput)
        progress(`throughput: ${asks[engine].length} runs of ${throughput.seconds} s`)
      }
      loadAverages[engine] = loadAverage()
      if (parts.includes('failover') && failoverStorages.includes(engine)) {
        failovers[engine] = await measureFailover(cluster, placement, failover, progress)
        loadAverages[`${engine} failover`] = loadAverage()
      }
    } catch (error) {
      errors.push(`${engine}: ${errorText(error)}`)
    } finally {
      await cluster?.stop()
      await storage.dispose()
    }
  }

  if (parts.includes('rebalance')) {
    const storage = await prepareStorage(rebalanceStorage, leaseMs)
    storageDescriptions[`${rebalanceStorage} rebalance`] = storage.description
    if (storage.fsyncMs !== undefined) fsyncMs[`${rebalanceStorage} rebalance`] = storage.fsyncMs
    console.log(`\nrebalance, ${rebalanceStorage}: ${storage.description}`)
    let cluster: EntityCluster | undefined
    try {
      cluster = await startEntityCluster(HUBS.slice(0, 2), storage.spec)
      rebalanced = await measureRebalance(cluster, placement, HUBS[2]!, rebalance, progress)
      loadAverages.rebalance = loadAverage()
    } catch (error) {
      errors.push(`rebalance: ${errorText(error)}`)
    } finally {
      await cluster?.stop()
      await storage.dispose()
    }
  }

  if (Object.keys(activation).length > 0) printActivation(activation)
  if (Object.keys(asks).length > 0) printThroughput(asks)
  if (Object.keys(failovers).length > 0) printFailover(failovers)
  if (rebalanced !== undefined) printRebalance(rebalanceStorage, rebalanced)
  loadAverages.end = loadAverage()
  console.log(
    `\nload average (1 min): ${Object.entries(loadAverages)
      .map(([when, load]) => `${when} ${load.toFixed(2)}`)
      .join(', ')}`,
  )
  for (const error of errors) console.log(`\ndid not complete: ${error}`)
  recordFigures('entities', {
    leaseMs,
    storages: storageDescriptions,
    fsyncMs,
    activation,
    throughput: asks,
    failover: failovers,
    rebalance: rebalanced === undefined ? null : { storage: rebalanceStorage, ...rebalanced },
    loadAverages,
    errors,
  })
}
