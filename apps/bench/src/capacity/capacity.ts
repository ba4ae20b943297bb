/**
 * Capacity: how many idle clients one hub process holds and what they cost
 * it. For each N, N Troupe client nodes spread over a few Node processes join
 * one Troupe hub process; then, in the same run, N Socket.IO sockets join a
 * Socket.IO server. Long: only when named (`npm run bench -- capacity`).
 */
import { envIntegers, envNumber } from '../shared/stats.js'
import {
  allowedCpus,
  childOpenFileLimit,
  describeMachine,
  describePinning,
  hardOpenFileLimit,
  hubAndRest,
  WANTED_OPEN_FILES,
} from '../shared/system.js'
import type { ScenarioConfig } from './processes.js'
import { printCapacityReport } from './report.js'
import { runScenario, type ScenarioFigures } from './scenario.js'
import type { CapacityStack } from './stacks.js'

function chosenStacks(): CapacityStack[] {
  const raw = process.env.CAPACITY_STACKS ?? 'troupe,socketio'
  return raw.split(',').map((name) => {
    const stack = name.trim()
    if (stack !== 'troupe' && stack !== 'socketio')
      throw new Error(`CAPACITY_STACKS: unknown stack "${stack}": choose from troupe, socketio`)
    return stack
  })
}

/**
 * Runs the capacity benchmark and prints its tables. Environment:
 * `CAPACITY_N` (Troupe client counts, default `1000,5000,10000`),
 * `CAPACITY_SOCKETIO_N` (default 10000), `CAPACITY_STACKS` (default
 * `troupe,socketio`), `CAPACITY_PROCESSES` (client processes, default 4),
 * `CAPACITY_CONCURRENCY` (connections in flight per process, default 50),
 * `CAPACITY_IDLE_SECONDS` (default 10), `CAPACITY_LATENCY_SECONDS` (default 10),
 * `CAPACITY_BACKGROUND_RATE` (msg/s, default 1000), `CAPACITY_ASK_RATE`
 * (asks/s, default 100), `CAPACITY_DROP` (clients killed at once, default
 * 1000), `CAPACITY_CHURN_RATE` (clients/s, default 200) and
 * `CAPACITY_CHURN_SECONDS` (default 60).
 */
export async function benchCapacity(): Promise<void> {
  const stacks = chosenStacks()
  const troupeCounts = envIntegers('CAPACITY_N', [1_000, 5_000, 10_000])
  const socketIoCount = envNumber('CAPACITY_SOCKETIO_N', 10_000)
  const { hub: hubCpu, rest: clientCpu } = hubAndRest()
  const base: Omit<ScenarioConfig, 'stack' | 'clients'> = {
    processes: envNumber('CAPACITY_PROCESSES', 4),
    concurrency: envNumber('CAPACITY_CONCURRENCY', 50),
    idleSeconds: envNumber('CAPACITY_IDLE_SECONDS', 10),
    latencySeconds: envNumber('CAPACITY_LATENCY_SECONDS', 10),
    backgroundRate: envNumber('CAPACITY_BACKGROUND_RATE', 1_000),
    askRate: envNumber('CAPACITY_ASK_RATE', 100),
    dropClients: envNumber('CAPACITY_DROP', 1_000),
    churnPerSecond: envNumber('CAPACITY_CHURN_RATE', 200),
    churnSeconds: envNumber('CAPACITY_CHURN_SECONDS', 60),
    hubCpu,
    clientCpu,
  }
  const openFiles = childOpenFileLimit()
  console.log(
    `\n## Capacity: idle clients on one hub process (clients in ${base.processes} Node processes)\n`,
  )
  console.log(describeMachine())
  console.log(describePinning({ hub: hubCpu, 'client processes': clientCpu }, 2))
  console.log(
    `open files: children raise ulimit -n to ${WANTED_OPEN_FILES} or the hard limit (${hardOpenFileLimit()}): ${openFiles} used`,
  )
  const largest = Math.max(...troupeCounts, socketIoCount)
  if (openFiles < largest + base.dropClients + 1_000)
    console.log(
      `  warning: ${openFiles} open files may not hold ${largest.toLocaleString()} sockets on the hub`,
    )
  console.log(
    'hub started with --expose-gc; memory is heap used / RSS after two full GCs, minus the same before any client\n',
  )

  const runs: ScenarioFigures[] = []
  const plan: [CapacityStack, number][] = [
    ...(stacks.includes('troupe') ? troupeCounts.map((n): [CapacityStack, number] => ['troupe', n]) : []),
    ...(stacks.includes('socketio') ? [['socketio', socketIoCount] as [CapacityStack, number]] : []),
  ]
  for (const [stack, clients] of plan) {
    const started = performance.now()
    console.log(`${stack}, ${clients.toLocaleString()} clients: running`)
    const figures = await runScenario({ ...base, stack, clients })
    runs.push(figures)
    console.log(
      `${stack}, ${clients.toLocaleString()} clients: done in ${((performance.now() - started) / 1_000).toFixed(0)} s (${figures.connected.toLocaleString()} connected)`,
    )
  }
  const clientCores = clientCpu === undefined ? allowedCpus().length : allowedCpus().length - 1
  printCapacityReport(runs, { backgroundRate: base.backgroundRate, openFiles, clientCores })
}
