/**
 * Prints the capacity benchmark's tables and Troupe's targets, and records
 * the same figures as JSON.
 */
import { recordFigures } from '../shared/figures.js'
import { formatBytes, formatMs, formatRatio, printTable, sumOf, verdict } from '../shared/stats.js'
import type { ScenarioFigures } from './scenario.js'
import type { HubClients } from './stacks.js'

const LABELS = { troupe: 'Troupe', socketio: 'Socket.IO' } as const
const CLIENTS_TARGET = 10_000
const HEAP_TARGET_BYTES = 8 * 1_024
const IDLE_CPU_TARGET = 10
/** Per-client connect time at the largest N within this factor of the smallest N's: "flat". */
const FLAT_CONNECT_FACTOR = 1.5
const NONE = '–'
/** CPU at or above this share of what a process may use counts as saturated. */
const SATURATED_PERCENT = 85

/** What the report says about the run besides its figures. */
export interface ReportContext {
  backgroundRate: number
  openFiles: number
  /** Cores the client processes share (all of them when not pinned). */
  clientCores: number
}

const percent = (value: number | undefined) => (value === undefined ? NONE : `${value.toFixed(1)} %`)
const perClientMs = (run: ScenarioFigures) => run.connectMs / Math.max(1, run.connected)

const holds = (counted: HubClients | undefined) =>
  counted === undefined ? NONE : `${counted.connected.toLocaleString()} (${counted.up.toLocaleString()} up)`

function printConnectTable(runs: ScenarioFigures[], context: ReportContext): void {
  console.log('\n### Connecting\n')
  const connectRows = [['stack', 'clients', 'connected', 'connect time', 'per client', 'hub holds']]
  for (const run of runs) {
    const failed = run.connectFailed > 0 ? ` (${run.connectFailed.toLocaleString()} failed)` : ''
    connectRows.push([
      LABELS[run.stack],
      run.clients.toLocaleString(),
      `${run.connected.toLocaleString()}${failed}`,
      Number.isNaN(run.connectMs) ? NONE : `${(run.connectMs / 1_000).toFixed(1)} s`,
      Number.isNaN(run.connectMs) ? NONE : `${formatMs(perClientMs(run))} ms`,
      holds(run.hubClients),
    ])
  }
  printTable(connectRows)
  console.log('\n### Idle cost on the hub (memory after GC, per client connected)\n')
  const idleRows = [
    [
      'stack',
      'clients',
      'hub heap/client',
      'hub RSS/client',
      'idle hub CPU',
      'client processes CPU',
      'hub holds after',
    ],
  ]
  for (const run of runs) {
    idleRows.push([
      LABELS[run.stack],
      run.clients.toLocaleString(),
      run.heapPerClient === undefined ? NONE : formatBytes(run.heapPerClient),
      run.rssPerClient === undefined ? NONE : formatBytes(run.rssPerClient),
      percent(run.idleHubCpuPercent),
      run.idleClientCpuPercent
        ?.map((cpu) => (cpu === null ? 'no answer' : `${cpu.toFixed(0)} %`))
        .join(' / ') ?? NONE,
      holds(run.afterIdle),
    ])
  }
  printTable(idleRows)
  for (const run of runs) {
    const held = Math.min(run.hubClients?.up ?? run.connected, run.afterIdle?.up ?? run.connected)
    if (held < 0.95 * run.connected)
      console.log(
        `note: ${LABELS[run.stack]} N = ${run.clients.toLocaleString()}: the hub held as up only ${held.toLocaleString()} of the ${run.connected.toLocaleString()} clients that connected: it is dropping clients (links closed or failure detector), so these are the figures of a hub in overload, not of idle clients`,
      )
    const shares = run.idleClientCpuPercent ?? []
    const clientCpu = sumOf(shares.map((cpu) => cpu ?? 100))
    if (clientCpu >= SATURATED_PERCENT * context.clientCores)
      console.log(
        `note: ${LABELS[run.stack]} N = ${run.clients.toLocaleString()}: the client processes used ${clientCpu.toFixed(0)} % of ${context.clientCores} core(s) while idle${shares.includes(null) ? ' (or did not answer)' : ''}: they cannot keep every client's heartbeats on time, so the hub sees clients late or gone`,
      )
    if ((run.idleHubCpuPercent ?? 0) >= SATURATED_PERCENT)
      console.log(
        `note: ${LABELS[run.stack]} N = ${run.clients.toLocaleString()}: the hub used ${percent(run.idleHubCpuPercent)} of its core while idle: it is saturated`,
      )
  }
}

function printTroupeTables(runs: ScenarioFigures[], backgroundRate: number): void {
  console.log(
    `\n### Troupe: hub → client asks under ${backgroundRate.toLocaleString()} msg/s of client → hub traffic (ms)\n`,
  )
  const latencyRows = [['clients', 'asks', 'failed', 'p50', 'p99', 'p99.9', 'background delivered/sent']]
  for (const { clients, latency: l } of runs) {
    latencyRows.push(
      l === undefined
        ? [clients.toLocaleString(), NONE, NONE, NONE, NONE, NONE, NONE]
        : [
            clients.toLocaleString(),
            l.asks.toLocaleString(),
            l.failures.toLocaleString(),
            formatMs(l.p50),
            formatMs(l.p99),
            formatMs(l.p999),
            `${l.backgroundDelivered.toLocaleString()}/${l.backgroundSent.toLocaleString()}`,
          ],
    )
  }
  printTable(latencyRows)
  console.log('\n### Troupe: the hub noticing a process of clients SIGKILLed (member-down / member-left)\n')
  const dropRows = [['clients', 'killed', 'alive at kill', 'noticed', 'first after', 'last after']]
  for (const { clients, drop: d } of runs) {
    dropRows.push(
      d === undefined
        ? [clients.toLocaleString(), NONE, NONE, NONE, NONE, NONE]
        : [
            clients.toLocaleString(),
            d.clients.toLocaleString(),
            d.aliveAtKill.toLocaleString(),
            d.noticed.toLocaleString(),
            `${formatMs(d.firstMs)} ms`,
            `${formatMs(d.lastMs)} ms`,
          ],
    )
  }
  printTable(dropRows)
  console.log('\n### Troupe: churn, clients leaving and arriving; hub heap after GC\n')
  const churnRows = [
    ['clients', 'rate', 'opened/closed (failed)', 'connected after', 'heap samples (MB)', 'growth', 'flat'],
  ]
  for (const { clients, churn: c } of runs) {
    churnRows.push(
      c === undefined
        ? [clients.toLocaleString(), NONE, NONE, NONE, NONE, NONE, NONE]
        : [
            clients.toLocaleString(),
            `${c.perSecond}/s for ${c.seconds} s`,
            `${c.opened.toLocaleString()}/${c.closed.toLocaleString()} (${c.failed.toLocaleString()}, ${c.skipped.toLocaleString()})`,
            `${c.clientsAfter.connected.toLocaleString()} (${c.clientsAfter.up.toLocaleString()} up)`,
            c.samples.map((s) => (s.heapUsed / 1_024 ** 2).toFixed(1)).join(' '),
            formatBytes(c.growth),
            c.flat ? 'yes' : 'NO',
          ],
    )
    if (c?.firstError !== undefined) console.log(`  first churn failure: ${c.firstError}`)
  }
  printTable(churnRows)
}

function printTargets(troupe: ScenarioFigures[]): void {
  console.log('\ntargets for Troupe:')
  const big = troupe.filter((run) => run.clients >= CLIENTS_TARGET)
  const bigMet = big.length === 0 ? undefined : big.every((run) => run.connected >= CLIENTS_TARGET)
  console.log(
    `  ${CLIENTS_TARGET.toLocaleString()} clients on one hub: ${verdict(bigMet)}${big.length === 0 ? ` (no run with ${CLIENTS_TARGET.toLocaleString()})` : ` (${big.map((run) => run.connected.toLocaleString()).join(', ')} connected)`}`,
  )
  for (const run of troupe) {
    const heap = run.heapPerClient
    const cpu = run.idleHubCpuPercent
    console.log(
      `  N = ${run.clients.toLocaleString()}: heap ≤ ${formatBytes(HEAP_TARGET_BYTES)}/client ${verdict(heap === undefined ? undefined : heap <= HEAP_TARGET_BYTES)} (${heap === undefined ? NONE : formatBytes(heap)}); idle hub CPU ≤ ${IDLE_CPU_TARGET} % ${verdict(cpu === undefined ? undefined : cpu <= IDLE_CPU_TARGET)} (${percent(cpu)})`,
    )
  }
  const measured = troupe.filter((run) => !Number.isNaN(run.connectMs) && run.connected > 0)
  if (measured.length < 2) console.log('  connect cost flat in N: not measured (needs two N)')
  else {
    const [small, large] = [measured[0]!, measured[measured.length - 1]!]
    const ratio = perClientMs(large) / perClientMs(small)
    console.log(
      `  connect cost flat in N (per-client time at N = ${large.clients.toLocaleString()} within ${FLAT_CONNECT_FACTOR}× of N = ${small.clients.toLocaleString()}): ${verdict(ratio <= FLAT_CONNECT_FACTOR)} (${formatRatio(ratio)})`,
    )
  }
}

/** Prints every table and the targets; records the figures under `capacity`. */
export function printCapacityReport(runs: ScenarioFigures[], context: ReportContext): void {
  printConnectTable(runs, context)
  const troupe = runs.filter((run) => run.stack === 'troupe')
  if (troupe.length > 0) printTroupeTables(troupe, context.backgroundRate)
  for (const run of runs) {
    for (const error of run.errors)
      console.log(`\n${LABELS[run.stack]} N = ${run.clients.toLocaleString()}: ${error}`)
    if (run.connectFirstError !== undefined)
      console.log(
        `${LABELS[run.stack]} N = ${run.clients.toLocaleString()}, first connect failure: ${run.connectFirstError}`,
      )
  }
  printTargets(troupe)
  recordFigures('capacity', {
    ...context,
    runs,
    targets: {
      clients: CLIENTS_TARGET,
      heapPerClientBytes: HEAP_TARGET_BYTES,
      idleHubCpuPercent: IDLE_CPU_TARGET,
      flatConnectFactor: FLAT_CONNECT_FACTOR,
    },
  })
}
