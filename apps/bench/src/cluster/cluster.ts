/**
 * The seed scenario of DESIGN.md: 3 Node processes × 100 actors, all-to-all
 * messages over loopback, run for raw `ws`, Socket.IO and Troupe side by side
 * so the figures compare on the same machine at the same moment.
 */

import { availableParallelism, loadavg } from 'node:os'
import { envNumber } from '../shared/stats.js'
import { STACKS, type StackName } from './protocol.js'
import { printReport } from './report.js'
import { type ClusterConfig, runStack, type StackResult } from './runStack.js'

const WORKERS = 3
const ACTORS = 100
/** Messages per second per process in the latency phase, unless `BENCH_RATE` says otherwise. */
const DEFAULT_RATE = 2_000
/** Seconds per phase, unless `BENCH_SECONDS` says otherwise. */
const DEFAULT_SECONDS = 5

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
 * `BENCH_SECONDS` (per phase, default 5).
 *
 * @example
 * // BENCH_STACKS=ws,socketio BENCH_SECONDS=3 npx tsx src/main.ts cluster
 * await benchCluster()
 */
export async function benchCluster(): Promise<void> {
  const config: ClusterConfig = {
    stacks: chosenStacks(),
    workers: WORKERS,
    actors: ACTORS,
    rate: envNumber('BENCH_RATE', DEFAULT_RATE),
    seconds: envNumber('BENCH_SECONDS', DEFAULT_SECONDS),
  }
  console.log(
    `\n## Cluster: ${WORKERS} processes × ${ACTORS} actors, all-to-all over loopback (${config.stacks.join(', ')})\n`,
  )
  const load = loadavg()[0]!
  const cores = availableParallelism()
  // the stacks share the CPUs with whatever else runs: say so when that is a lot
  const busy = load > cores * 0.75 ? ': busy, expect noisy figures' : ''
  console.log(`${cores} cores, load average ${load.toFixed(2)} before the run${busy}\n`)
  const results: StackResult[] = []
  for (const stack of config.stacks) {
    const started = performance.now()
    const result = await runStack(stack, config)
    const took = ((performance.now() - started) / 1_000).toFixed(1)
    console.log(`${stack}: ${result.error === undefined ? 'done' : 'failed'} in ${took} s`)
    results.push(result)
  }
  printReport(results, config)
}
