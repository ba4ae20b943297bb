/**
 * Runs the seed scenario for one stack: starts the worker processes in order,
 * waits until every one reaches the others, runs both phases, and always
 * stops the workers, within an overall time limit.
 */
import { createHistogram, type Histogram } from '../shared/histogram.js'
import { wallNow } from '../shared/time.js'
import type { PeerInfo, PhaseName, StackName } from './protocol.js'
import { forkWorker, type WorkerHandle } from './workerHandle.js'

/** What the benchmark runs; see `benchCluster` for the environment variables. */
export interface ClusterConfig {
  stacks: StackName[]
  workers: number
  actors: number
  /** Messages per second per worker in the latency phase. */
  rate: number
  /** Duration of each phase. */
  seconds: number
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
  /** Dead letters the stack reported, if it can tell. */
  deadLetters: number
}

/** The outcome of {@link runStack}; phases that did not complete are missing, with `error` saying why. */
export interface StackResult {
  stack: StackName
  latency?: PhaseFigures
  throughput?: PhaseFigures
  error?: string
}

/** Lets every worker get the "run" message before the common start time. */
const START_DELAY_MS = 300
/** After a phase, stop waiting for late messages when none arrived for this long... */
const SETTLE_IDLE_MS = 2_000
/** ...or after this long in all. */
const SETTLE_MAX_MS = 15_000
const SETTLE_POLL_MS = 100
/** Time for forking and connecting, on top of the phases. */
const STARTUP_MS = 30_000
/** The unreported paced phase before the measured ones. */
const WARMUP_SECONDS = 1

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0)
const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error))

/**
 * Runs both phases on `stack` and returns its figures; never throws, and
 * leaves no worker process behind.
 */
export async function runStack(stack: StackName, config: ClusterConfig): Promise<StackResult> {
  const result: StackResult = { stack }
  const workers: WorkerHandle[] = []
  const phaseMs = (seconds: number) => seconds * 1_000 + START_DELAY_MS + SETTLE_MAX_MS
  const limitMs = STARTUP_MS + phaseMs(WARMUP_SECONDS) + 2 * phaseMs(config.seconds)
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${limitMs / 1_000} s`)), limitMs)
  })
  try {
    await Promise.race([run(stack, config, workers, result), timeout])
  } catch (error) {
    result.error = errorText(error)
  } finally {
    clearTimeout(timer)
    await Promise.all(workers.map((worker) => worker.stop()))
  }
  return result
}

async function run(stack: StackName, config: ClusterConfig, workers: WorkerHandle[], result: StackResult) {
  const peers: PeerInfo[] = []
  // one after another: each worker joins through the ones already listening
  for (let index = 0; index < config.workers; index++) {
    const worker = forkWorker(index)
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
  // JIT and lazily loaded code would otherwise land in the first phase's tail latency
  await runPhase(workers, 'warmup', { ...config, seconds: Math.min(WARMUP_SECONDS, config.seconds) })
  result.latency = await runPhase(workers, 'latency', config)
  result.throughput = await runPhase(workers, 'throughput', config)
}

async function runPhase(
  workers: WorkerHandle[],
  phase: PhaseName,
  config: ClusterConfig,
): Promise<PhaseFigures> {
  const startAt = wallNow() + START_DELAY_MS
  for (const worker of workers)
    worker.send({ type: 'run', phase, rate: config.rate, seconds: config.seconds, startAt })
  const done = await Promise.all(workers.map((worker) => worker.next('phase-done')))
  const sent = sum(done.map((d) => d.sent))
  const collected = await settle(workers, sent)
  const latency = createHistogram()
  for (const c of collected) latency.merge(c.latency)
  return {
    sent,
    delivered: sum(collected.map((c) => c.received)),
    deliveredPerSecond: sum(done.map((d) => (d.receivedInWindow * 1_000) / d.wallMs)),
    cpuPercent: sum(done.map((d) => (d.cpuMs / d.wallMs) * 100)) / done.length,
    latency,
    deadLetters: sum(collected.map((c) => c.deadLetters)),
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
    const received = sum(collected.map((c) => c.received))
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
