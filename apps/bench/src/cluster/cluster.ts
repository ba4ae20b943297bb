/**
 * The seed scenario of DESIGN.md: 3 Node processes × 100 actors, all-to-all
 * messages over loopback, run for raw `ws`, Socket.IO and Troupe side by side
 * so the figures compare on the same machine at the same moment. The
 * throughput phase runs several times, the stacks taking turns, so a burst of
 * outside load hits one run of each rather than all runs of one.
 */

import { envNumber } from '../shared/stats.js'
import { allowedCpus, coreFor, describeMachine, describePinning, loadAverage } from '../shared/system.js'
import { errorText } from '../shared/time.js'
import { STACKS, type StackName } from './protocol.js'
import { printReport } from './report.js'
import { type ClusterConfig, type PhaseFigures, type StackCluster, startStackCluster } from './runStack.js'

const WORKERS = 3
const ACTORS = 100
/** Messages per second per process in the latency phase, unless `BENCH_RATE` says otherwise. */
const DEFAULT_RATE = 2_000
/** Seconds per phase, unless `BENCH_SECONDS` says otherwise. */
const DEFAULT_SECONDS = 5
/** Throughput runs per stack, unless `BENCH_ROUNDS` says otherwise. */
const DEFAULT_ROUNDS = 5
/**
 * The unreported paced phase before the measured ones. One second left the JIT
 * compiling through the latency phase: a Troupe worker used 13 % of a core at
 * 2,000 msg/s after 1 s of load, 9.5 % after 6 s (the compiler threads count).
 */
const WARMUP_SECONDS = 5

/** What one stack did; missing phases did not complete, `error` says why. */
export interface StackResult {
  stack: StackName
  latency?: PhaseFigures
  throughput: PhaseFigures[]
  error?: string
}

/** The load average around the run. */
export interface LoadAverages {
  before: number
  after: number
}

function chosenStacks(): StackName[] {
  const raw = process.env.BENCH_STACKS
  if (raw === undefined || raw.trim() === '') return [...STACKS]
  const names = raw.split(',').map((name) => name.trim())
  for (const name of names) {
    if (!(STACKS as readonly string[]).includes(name))
      throw new Error(`BENCH_STACKS: unknown stack "${name}": choose from ${STACKS.join(', ')}`)
  }
  return names as StackName[]
}

/**
 * Runs the cluster benchmark and prints its tables. Slowness never fails it;
 * a stack that cannot run is reported and the others still run.
 *
 * Environment: `BENCH_STACKS` (comma-separated, default `ws,socketio,troupe`),
 * `BENCH_RATE` (messages/s per process in the latency phase, default 2000),
 * `BENCH_SECONDS` (latency phase and each throughput run, default 5),
 * `BENCH_ROUNDS` (throughput runs per stack, default 5).
 *
 * @example
 * // BENCH_STACKS=ws,socketio BENCH_SECONDS=3 npx tsx src/main.ts cluster
 * await benchCluster()
 */
export async function benchCluster(): Promise<void> {
  // one core per worker when there are enough; fewer cores than workers: the scheduler spreads them better
  const cores = Array.from({ length: WORKERS }, (_, index) => coreFor(index, WORKERS))
  const config: ClusterConfig = {
    stacks: chosenStacks(),
    workers: WORKERS,
    actors: ACTORS,
    rate: envNumber('BENCH_RATE', DEFAULT_RATE),
    seconds: envNumber('BENCH_SECONDS', DEFAULT_SECONDS),
    rounds: envNumber('BENCH_ROUNDS', DEFAULT_ROUNDS),
    cores,
  }
  console.log(
    `\n## Cluster: ${WORKERS} processes × ${ACTORS} actors, all-to-all over loopback (${config.stacks.join(', ')})\n`,
  )
  console.log(describeMachine())
  const assignments = Object.fromEntries(cores.map((cpu, index) => [`worker ${index}`, cpu]))
  console.log(describePinning(assignments, WORKERS))
  console.log(
    `all stacks' workers stay up for the whole run; throughput runs ${config.rounds}× per stack, stacks taking turns\n`,
  )
  const load: LoadAverages = { before: loadAverage(), after: Number.NaN }
  const results = new Map<StackName, StackResult>(
    config.stacks.map((stack) => [stack, { stack, throughput: [] }]),
  )
  const clusters = new Map<StackName, StackCluster>()
  /** Runs `step` for `stack` unless it already failed; a failure stops that stack only. */
  const step = async (stack: StackName, what: string, run: (cluster: StackCluster) => Promise<void>) => {
    const result = results.get(stack)!
    const cluster = clusters.get(stack)
    if (cluster === undefined || result.error !== undefined) return
    const started = performance.now()
    try {
      await run(cluster)
      console.log(`${stack}: ${what} in ${((performance.now() - started) / 1_000).toFixed(1)} s`)
    } catch (error) {
      result.error = `${what}: ${errorText(error)}`
      console.log(`${stack}: ${what} FAILED: ${errorText(error)}`)
      clusters.delete(stack)
      await cluster.stop()
    }
  }
  try {
    for (const stack of config.stacks) {
      try {
        clusters.set(stack, await startStackCluster(stack, config))
      } catch (error) {
        results.get(stack)!.error = `start: ${errorText(error)}`
      }
    }
    for (const stack of config.stacks) {
      await step(stack, 'latency phase', async (cluster) => {
        // JIT and lazily loaded code would otherwise land in the first phase's tail latency
        await cluster.runPhase('warmup', WARMUP_SECONDS)
        results.get(stack)!.latency = await cluster.runPhase('latency', config.seconds)
      })
    }
    for (let round = 1; round <= config.rounds; round++) {
      for (const stack of config.stacks) {
        await step(stack, `throughput run ${round}`, async (cluster) => {
          results.get(stack)!.throughput.push(await cluster.runPhase('throughput', config.seconds))
        })
      }
    }
  } finally {
    await Promise.all([...clusters.values()].map((cluster) => cluster.stop()))
  }
  load.after = loadAverage()
  printReport([...results.values()], config, { ...load, cores: allowedCpus().length })
}
