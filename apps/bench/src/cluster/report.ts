/**
 * Prints the cluster benchmark's tables, one row per stack, and whether
 * Troupe meets the performance targets of DESIGN.md.
 */
import { formatRate, printTable } from '../shared/stats.js'
import type { StackName } from './protocol.js'
import type { ClusterConfig, PhaseFigures, StackResult } from './runStack.js'

const LABELS: Record<StackName, string> = { ws: 'raw ws', socketio: 'Socket.IO', troupe: 'Troupe' }
const P99_TARGET_MS = 2
const CPU_TARGET_PERCENT = 15
const NONE = '–'

const ms = (value: number) => (Number.isNaN(value) ? NONE : value.toFixed(value < 10 ? 3 : 1))
const times = (ratio: number | undefined) => (ratio === undefined ? NONE : `${ratio.toFixed(2)}×`)

function deliveredOfSent(figures: PhaseFigures): string {
  const lost = figures.sent - figures.delivered
  const dead = figures.deadLetters > 0 ? `, ${figures.deadLetters.toLocaleString()} dead letters` : ''
  const delivered = `${figures.delivered.toLocaleString()}/${figures.sent.toLocaleString()}`
  return lost === 0 ? `${delivered}${dead}` : `${delivered} (LOST ${lost.toLocaleString()}${dead})`
}

/** Ratio of `stack`'s throughput to `baseline`'s, when both completed. */
function ratio(results: StackResult[], stack: StackName, baseline: StackName): number | undefined {
  const of = (name: StackName) => results.find((r) => r.stack === name)?.throughput?.deliveredPerSecond
  const mine = of(stack)
  const theirs = of(baseline)
  return mine === undefined || theirs === undefined || theirs === 0 ? undefined : mine / theirs
}

/** Prints both tables, the errors of stacks that did not complete, and the targets. */
export function printReport(results: StackResult[], config: ClusterConfig): void {
  console.log(`\n### Latency at ${config.rate.toLocaleString()} msgs/s per process (${config.seconds} s)\n`)
  const latencyRows = [['stack', 'rate', 'p50 ms', 'p99 ms', 'p99.9 ms', 'CPU/process', 'delivered/sent']]
  for (const { stack, latency } of results) {
    const rate = `${config.workers} × ${config.rate.toLocaleString()}/s`
    latencyRows.push(
      latency === undefined
        ? [LABELS[stack], rate, NONE, NONE, NONE, NONE, NONE]
        : [
            LABELS[stack],
            rate,
            ms(latency.latency.percentile(50)),
            ms(latency.latency.percentile(99)),
            ms(latency.latency.percentile(99.9)),
            `${latency.cpuPercent.toFixed(1)} %`,
            deliveredOfSent(latency),
          ],
    )
  }
  printTable(latencyRows)

  console.log(`\n### Fire-and-forget throughput (${config.seconds} s, delivered across the cluster)\n`)
  const throughputRows = [['stack', 'msgs/s', '× Socket.IO', '× raw ws', 'delivered/sent']]
  for (const { stack, throughput } of results) {
    throughputRows.push(
      throughput === undefined
        ? [LABELS[stack], NONE, NONE, NONE, NONE]
        : [
            LABELS[stack],
            formatRate(throughput.deliveredPerSecond),
            times(ratio(results, stack, 'socketio')),
            times(ratio(results, stack, 'ws')),
            deliveredOfSent(throughput),
          ],
    )
  }
  printTable(throughputRows)

  for (const { stack, error } of results)
    if (error !== undefined) console.log(`\n${LABELS[stack]} did not complete: ${error}`)
  printTargets(results)
}

function printTargets(results: StackResult[]): void {
  const troupe = results.find((r) => r.stack === 'troupe')
  console.log('\ntargets for Troupe:')
  const latency = troupe?.latency
  const latencyTarget = `p99 < ${P99_TARGET_MS} ms and CPU < ${CPU_TARGET_PERCENT} % per process at the fixed rate`
  if (latency === undefined) console.log(`  ${latencyTarget}: not measured (Troupe did not run)`)
  else {
    const p99 = latency.latency.percentile(99)
    const met = p99 < P99_TARGET_MS && latency.cpuPercent < CPU_TARGET_PERCENT
    console.log(
      `  ${latencyTarget}: ${met ? 'met' : 'NOT met'} (p99 ${ms(p99)} ms, CPU ${latency.cpuPercent.toFixed(1)} %)`,
    )
  }
  const throughputTarget = 'throughput ≥ 2× Socket.IO and ≥ raw ws'
  const vsSocketIo = ratio(results, 'troupe', 'socketio')
  const vsWs = ratio(results, 'troupe', 'ws')
  if (vsSocketIo === undefined || vsWs === undefined) {
    console.log(`  ${throughputTarget}: not measured (needs Troupe, Socket.IO and raw ws in one run)`)
  } else {
    const met = vsSocketIo >= 2 && vsWs >= 1
    console.log(
      `  ${throughputTarget}: ${met ? 'met' : 'NOT met'} (${times(vsSocketIo)} Socket.IO, ${times(vsWs)} raw ws)`,
    )
  }
}
