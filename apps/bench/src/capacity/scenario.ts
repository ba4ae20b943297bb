/**
 * One capacity run: a hub process and a few client processes for one stack
 * and one number of clients. Connects them all, then measures the hub's heap
 * and RSS per client and its CPU while every client idles; for Troupe, also
 * the steps of `troupeSteps.ts`. Every step is bounded; a failed step is
 * recorded and the run goes on where it still makes sense.
 */
import { startChild, stopAll } from '../shared/child.js'
import { sumOf } from '../shared/stats.js'
import { errorText, sleep, withTimeout } from '../shared/time.js'
import type { ConnectResult } from './clientsChild.js'
import type { HubHandlers } from './hubChild.js'
import {
  connectBudgetMs,
  type ScenarioConfig,
  type ScenarioProcesses,
  startClientsChild,
  stepBudgetMs,
} from './processes.js'
import type { CapacityStack, HubClients } from './stacks.js'
import {
  type ChurnFigures,
  type DropFigures,
  type LatencyFigures,
  measureChurn,
  measureDrop,
  measureLatency,
} from './troupeSteps.js'

/** Heap used and RSS, in bytes. */
export interface Memory {
  heapUsed: number
  rss: number
}

/** What a run measured; missing figures were not measured, `errors` says why. */
export interface ScenarioFigures {
  stack: CapacityStack
  clients: number
  connected: number
  connectFailed: number
  connectMs: number
  connectFirstError?: string
  /** Hub memory after GC before any client, and with every client connected. */
  baseline?: Memory
  loaded?: Memory
  /** Clients as the hub counted them when `loaded` was measured (the per-client figures divide by `connected`). */
  hubClients?: HubClients
  heapPerClient?: number
  rssPerClient?: number
  idleHubCpuPercent?: number
  /** Per client process; null where the process did not answer in time (saturated). */
  idleClientCpuPercent?: (number | null)[]
  /** Clients as the hub counted them right after the idle measurement: `up` below `connected` means it wrote some off. */
  afterIdle?: HubClients
  latency?: LatencyFigures
  drop?: DropFigures
  churn?: ChurnFigures
  errors: string[]
}

const STARTUP_MS = 30_000
/** How long a busy client process may take to answer a quick call before it is reported as not answering. */
const CLIENT_ANSWER_MS = 15_000
/** After the last connection, before measuring: handshakes' garbage collected, timers settled. */
const SETTLE_MS = 3_000
const HUB_FLAGS = [
  '--expose-gc',
  '--max-old-space-size=8192',
  ...(process.env.CAPACITY_HUB_FLAGS?.split(' ').filter(Boolean) ?? []),
]

/**
 * Runs one capacity scenario and returns its figures; never throws, and
 * leaves no process behind.
 */
export async function runScenario(config: ScenarioConfig): Promise<ScenarioFigures> {
  const figures: ScenarioFigures = {
    stack: config.stack,
    clients: config.clients,
    connected: 0,
    connectFailed: 0,
    connectMs: Number.NaN,
    errors: [],
  }
  /** Set once a step overran its budget: its work may still be running, so later steps are skipped. */
  let overran = false
  const step = async (what: string, ms: number, run: () => Promise<void>): Promise<boolean> => {
    if (overran) return false
    const started = performance.now()
    try {
      await withTimeout(run(), ms, what)
      console.log(`  ${what}: ${((performance.now() - started) / 1_000).toFixed(1)} s`)
      return true
    } catch (error) {
      overran = errorText(error).includes('timed out')
      figures.errors.push(`${what}: ${errorText(error)}${overran ? '; later steps skipped' : ''}`)
      console.log(`  ${what} FAILED: ${errorText(error)}`)
      return false
    }
  }
  const hub = startChild<HubHandlers>({
    module: new URL('./hubChild.ts', import.meta.url),
    name: `${config.stack} hub`,
    cpu: config.hubCpu,
    raiseOpenFiles: true,
    nodeFlags: HUB_FLAGS,
  })
  const clients = Array.from({ length: config.processes }, (_, p) =>
    startClientsChild(`${config.stack} clients ${p}`, config),
  )
  const processes: ScenarioProcesses = { hub, clients, extra: [], url: '' }
  try {
    const maxClients = config.clients + config.dropClients + config.churnPerSecond * 10
    const up = await step('start', STARTUP_MS, async () => {
      processes.url = (await hub.call('start', config.stack, maxClients)).url
      figures.baseline = await hub.call('memory')
    })
    if (!up) return figures
    const connected = await step('connect', stepBudgetMs(config.clients), () =>
      connectAll(config, processes, figures),
    )
    if (!connected) {
      // how far it got: the hub's own count
      figures.connected = await withTimeout(hub.call('clients'), 10_000, 'count').then(
        (counted) => counted.connected,
        () => 0,
      )
      return figures
    }
    if (figures.connected === 0) return figures
    await sleep(SETTLE_MS)
    await step('memory', 60_000, async () => {
      figures.loaded = await hub.call('memory')
      figures.hubClients = await hub.call('clients')
      // per client placed on the hub; `hubClients` tells whether the hub still held them all
      figures.heapPerClient = (figures.loaded.heapUsed - figures.baseline!.heapUsed) / figures.connected
      figures.rssPerClient = (figures.loaded.rss - figures.baseline!.rss) / figures.connected
    })
    await step('idle CPU', config.idleSeconds * 1_000 + 60_000, async () => {
      // the client processes' share is read without timers: a saturated one answers late, or not at all
      const answer = <T>(call: Promise<T>) =>
        withTimeout(call, CLIENT_ANSWER_MS, 'client process').catch(() => null)
      await Promise.all(clients.map((child) => answer(child.call('cpuMark'))))
      figures.idleHubCpuPercent = await hub.call('cpu', config.idleSeconds)
      figures.idleClientCpuPercent = await Promise.all(clients.map((child) => answer(child.call('cpuSince'))))
      figures.afterIdle = await hub.call('clients')
    })
    if (config.stack !== 'troupe') return figures
    await step('latency', config.latencySeconds * 1_000 + 30_000, async () => {
      figures.latency = await measureLatency(config, processes)
    })
    await step('drop', stepBudgetMs(config.dropClients) + 60_000, async () => {
      figures.drop = await measureDrop(config, processes)
    })
    await step('churn', config.churnSeconds * 1_000 + 90_000, async () => {
      figures.churn = await measureChurn(config, processes)
    })
    return figures
  } finally {
    await stopAll([hub, ...clients, ...processes.extra])
  }
}

/** Connects `config.clients` clients, spread evenly over the client processes. */
async function connectAll(config: ScenarioConfig, processes: ScenarioProcesses, figures: ScenarioFigures) {
  const start = performance.now()
  const results: ConnectResult[] = await Promise.all(
    processes.clients.map((child, p) => {
      const count =
        Math.floor(config.clients / config.processes) + (p < config.clients % config.processes ? 1 : 0)
      const within = connectBudgetMs(config.clients)
      return child.call('connect', config.stack, processes.url, `c${p}-`, count, config.concurrency, within)
    }),
  )
  figures.connectMs = performance.now() - start
  figures.connected = sumOf(results.map((r) => r.connected))
  figures.connectFailed = sumOf(results.map((r) => r.failed + r.unattempted))
  figures.connectFirstError = results.find((r) => r.firstError !== undefined)?.firstError
}
