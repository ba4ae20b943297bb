/**
 * The capacity steps measured for Troupe only: hub → client ask latency under
 * background traffic, how fast the hub notices a process full of clients
 * dying, and whether its heap stays flat while clients come and go.
 */
import { type LatencySummary, mergeAll, summarize } from '../shared/histogram.js'
import { sumOf } from '../shared/stats.js'
import { machineNow, settle, sleep } from '../shared/time.js'
import {
  connectBudgetMs,
  type ScenarioConfig,
  type ScenarioProcesses,
  startClientsChild,
} from './processes.js'
import type { HubClients } from './stacks.js'

/** Hub → client asks while the clients send to the hub. */
export interface LatencyFigures extends LatencySummary {
  asks: number
  failures: number
  firstFailure?: string
  backgroundSent: number
  backgroundDelivered: number
}

/** How long the hub took to notice `clients` clients whose process was SIGKILLed. */
export interface DropFigures {
  clients: number
  /** Of those, the ones the hub held as alive (up or suspect) at the kill; it had written the others off already. */
  aliveAtKill: number
  noticed: number
  /** Milliseconds from the kill to the first and the last `member-down`/`member-left`; NaN if none. */
  firstMs: number
  lastMs: number
}

/** Hub heap (after GC) while clients leave and arrive. */
export interface ChurnFigures {
  seconds: number
  perSecond: number
  opened: number
  closed: number
  failed: number
  /** Arrivals not started because too many were still connecting. */
  skipped: number
  firstError?: string
  /** Clients the hub counts after the churn (it should be unchanged). */
  clientsAfter: HubClients
  samples: { atSeconds: number; heapUsed: number }[]
  /** Least-squares growth of the heap over the churn, in bytes. */
  growth: number
  /** Growth under 5 % of the heap at the start. */
  flat: boolean
}

const DROP_NOTICE_MS = 30_000
const CHURN_SAMPLE_MS = 5_000

/** Asks random clients from the hub while the client processes send background traffic to the hub. */
export async function measureLatency(
  config: ScenarioConfig,
  { hub, clients }: ScenarioProcesses,
): Promise<LatencyFigures> {
  const ids = (await Promise.all(clients.map((child) => child.call('ids')))).flat()
  const before = (await hub.call('received')).count
  const perProcess = config.backgroundRate / clients.length
  const [asks, ...background] = await Promise.all([
    hub.call('askClients', ids, config.askRate, config.latencySeconds),
    ...clients.map((child) => child.call('background', perProcess, config.latencySeconds)),
  ])
  const backgroundSent = sumOf(background.map((b) => b.sent))
  const delivered = await settle(async () => (await hub.call('received')).count - before, backgroundSent)
  return {
    ...summarize(mergeAll([asks.latency])),
    asks: asks.sent,
    failures: asks.failures,
    firstFailure: asks.firstFailure,
    backgroundSent,
    backgroundDelivered: delivered,
  }
}

/** Connects `config.dropClients` more clients in a process of their own, SIGKILLs it, and times the hub's notice. */
export async function measureDrop(
  config: ScenarioConfig,
  { hub, url }: ScenarioProcesses,
): Promise<DropFigures> {
  const doomed = startClientsChild('clients to drop', config)
  try {
    const before = (await hub.call('clients')).connected
    // as many connections in flight as all the other client processes together
    const concurrency = config.concurrency * config.processes
    const within = connectBudgetMs(config.dropClients)
    const result = await doomed.call('connect', 'troupe', url, 'd-', config.dropClients, concurrency, within)
    if (result.connected === 0) throw new Error(`no client to drop connected: ${result.firstError}`)
    await settle(async () => (await hub.call('clients')).connected - before, result.connected, {
      maxMs: connectBudgetMs(0),
    })
    await sleep(2_000)
    const aliveAtKill = await hub.call('watchDrops', 'd-')
    const killedAt = machineNow()
    doomed.kill('SIGKILL')
    const noticed = await settle(async () => (await hub.call('drops')).noticed, aliveAtKill, {
      idleMs: DROP_NOTICE_MS,
      maxMs: DROP_NOTICE_MS,
    })
    const drops = await hub.call('drops')
    const after = (at: number | null) => (at === null ? Number.NaN : at - killedAt)
    return {
      clients: result.connected,
      aliveAtKill,
      noticed,
      firstMs: after(drops.firstAt),
      lastMs: after(drops.lastAt),
    }
  } finally {
    await doomed.stop()
  }
}

/** Churns clients in every client process while sampling the hub's heap after GC. */
export async function measureChurn(
  config: ScenarioConfig,
  { hub, clients, url }: ScenarioProcesses,
): Promise<ChurnFigures> {
  const samples: ChurnFigures['samples'] = []
  const start = performance.now()
  const sample = async () => {
    const { heapUsed } = await hub.call('memory')
    samples.push({ atSeconds: (performance.now() - start) / 1_000, heapUsed })
  }
  await sample()
  const perProcess = Math.max(1, Math.round(config.churnPerSecond / clients.length))
  let churning = true
  const churned = Promise.all(
    clients.map((child, p) => child.call('churn', 'troupe', url, `n${p}-`, perProcess, config.churnSeconds)),
  ).finally(() => {
    churning = false
  })
  while (churning) {
    await Promise.race([sleep(CHURN_SAMPLE_MS), churned.catch(() => {})])
    await sample()
  }
  const results = await churned
  await sleep(3_000) // closes and handshakes of the last second settle before the final sample
  await sample()
  const growth = leastSquaresGrowth(samples)
  return {
    seconds: config.churnSeconds,
    perSecond: perProcess * clients.length,
    opened: sumOf(results.map((r) => r.opened)),
    closed: sumOf(results.map((r) => r.closed)),
    failed: sumOf(results.map((r) => r.failed)),
    skipped: sumOf(results.map((r) => r.skipped)),
    firstError: results.find((r) => r.firstError !== undefined)?.firstError,
    clientsAfter: await hub.call('clients'),
    samples,
    growth,
    flat: growth < 0.05 * samples[0]!.heapUsed,
  }
}

/** Slope of the least-squares line through the samples, times their time span. */
function leastSquaresGrowth(samples: ChurnFigures['samples']): number {
  const n = samples.length
  if (n < 2) return 0
  const meanT = sumOf(samples.map((s) => s.atSeconds)) / n
  const meanH = sumOf(samples.map((s) => s.heapUsed)) / n
  const covariance = sumOf(samples.map((s) => (s.atSeconds - meanT) * (s.heapUsed - meanH)))
  const variance = sumOf(samples.map((s) => (s.atSeconds - meanT) ** 2))
  return variance === 0 ? 0 : (covariance / variance) * (samples[n - 1]!.atSeconds - samples[0]!.atSeconds)
}
