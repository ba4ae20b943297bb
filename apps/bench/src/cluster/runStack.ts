/**
 * One stack's cluster for the seed scenario: starts its worker processes in
 * order, waits until every one reaches the others, then runs the phases the
 * driver asks for, each bounded in time, and always stops the workers.
 */
import { createHistogram, type Histogram } from '../shared/histogram.js'
import { sumOf } from '../shared/stats.js'
import { machineNow, sleep, withTimeout } from '../shared/time.js'
import type { PeerInfo, PhaseName, StackName } from './protocol.js'
import { forkWorker, type WorkerHandle } from './workerHandle.js'

/** What the benchmark runs; see `benchCluster` for the environment variables. */
export interface ClusterConfig {
  stacks: StackName[]
  workers: number
  actors: number
  /** Messages per second per worker in the latency phase. */
  rate: number
  /** Duration of the latency phase and of each throughput run. */
  seconds: number
  /** Throughput runs per stack, interleaved with the other stacks'. */
  rounds: number
  /** Core of each worker, by index; undefined: not pinned. */
  cores: (number | undefined)[]
}

/** One phase's figures, over the whole cluster. */
export interface PhaseFigures {
  sent: number
  /** Received by an actor, late arrivals after the phase included. */
  delivered: number
  /** Received within the phase's window, per second, summed over the workers. */
  deliveredPerSecond: number
  /** CPU time over wall time of the phase, in % of one core, averaged over the workers. */
  cpuPercent: number
  /** One-way latency of every delivered message. */
  latency: Histogram
  /** Dead letters the stack reported, if it can tell (cumulative since the start). */
  deadLetters: number
}

/** A started cluster of one stack. */
export interface StackCluster {
  readonly stack: StackName
  /** Runs one phase on every worker at once; rejects if it does not finish in time. */
  runPhase(phase: PhaseName, seconds: number): Promise<PhaseFigures>
  stop(): Promise<void>
}

/** Lets every worker get the "run" message before the common start time. */
const START_DELAY_MS = 300
/** After a phase, stop waiting for late messages when none arrived for this long... */
const SETTLE_IDLE_MS = 2_000
/** ...or after this long in all. */
const SETTLE_MAX_MS = 15_000
const SETTLE_POLL_MS = 100
/** Time for starting and connecting the workers. */
const STARTUP_MS = 30_000
/** Slack on top of a phase's own duration, start delay and settling. */
const PHASE_SLACK_MS = 10_000

/**
 * Starts `config.workers` workers of `stack`, each joining through the ones
 * already listening, and resolves once all reach each other. On failure the
 * workers started so far are stopped.
 */
export async function startStackCluster(stack: StackName, config: ClusterConfig): Promise<StackCluster> {
  const workers: WorkerHandle[] = []
  const stop = () => Promise.all(workers.map((worker) => worker.stop())).then(() => {})
  const start = async () => {
    const peers: PeerInfo[] = []
    for (let index = 0; index < config.workers; index++) {
      const worker = forkWorker(index, config.cores[index])
      workers.push(worker)
      worker.send({
        type: 'start',
        stack,
        index,
        workers: config.workers,
        actors: config.actors,
        peers: [...peers],
      })
      const { url } = await worker.next('listening')
      peers.push({ index, url })
    }
    await Promise.all(workers.map((worker) => worker.next('ready')))
  }
  try {
    await withTimeout(start(), STARTUP_MS, `starting ${stack}`)
  } catch (error) {
    await stop()
    throw error
  }
  return {
    stack,
    runPhase(phase, seconds) {
      const limit = seconds * 1_000 + START_DELAY_MS + SETTLE_MAX_MS + PHASE_SLACK_MS
      return withTimeout(runPhase(workers, phase, config.rate, seconds), limit, `${stack} ${phase}`)
    },
    stop,
  }
}

async function runPhase(
  workers: WorkerHandle[],
  phase: PhaseName,
  rate: number,
  seconds: number,
): Promise<PhaseFigures> {
  const startAt = machineNow() + START_DELAY_MS
  for (const worker of workers) worker.send({ type: 'run', phase, rate, seconds, startAt })
  const done = await Promise.all(workers.map((worker) => worker.next('phase-done')))
  const sent = sumOf(done.map((d) => d.sent))
  const collected = await settle(workers, sent)
  const latency = createHistogram()
  for (const c of collected) latency.merge(c.latency)
  return {
    sent,
    delivered: sumOf(collected.map((c) => c.received)),
    deliveredPerSecond: sumOf(done.map((d) => (d.receivedInWindow * 1_000) / d.wallMs)),
    cpuPercent: sumOf(done.map((d) => (d.cpuMs / d.wallMs) * 100)) / done.length,
    latency,
    deadLetters: sumOf(collected.map((c) => c.deadLetters)),
  }
}

/** Polls the workers until everything sent has arrived, or arrivals stop. */
async function settle(workers: WorkerHandle[], sent: number) {
  const startedAt = performance.now()
  let last = -1
  let changedAt = startedAt
  for (;;) {
    const collected = await Promise.all(
      workers.map((worker) => {
        worker.send({ type: 'collect' })
        return worker.next('collected')
      }),
    )
    const received = sumOf(collected.map((c) => c.received))
    const now = performance.now()
    if (received !== last) {
      last = received
      changedAt = now
    }
    if (received >= sent || now - changedAt > SETTLE_IDLE_MS || now - startedAt > SETTLE_MAX_MS)
      return collected
    await sleep(SETTLE_POLL_MS)
  }
}
