/**
 * Prints the cluster benchmark's tables, one row per stack, with Troupe's
 * ratios to the baselines against the targets of DESIGN.md, and records the
 * same figures as JSON.
 */
import { recordFigures } from '../shared/figures.js'
import { summarize } from '../shared/histogram.js'
import {
  formatMs,
  formatRate,
  formatRatio,
  medianOf,
  minOf,
  printTable,
  printTarget,
  ratioOf,
  sumOf,
} from '../shared/stats.js'
import type { LoadAverages, StackResult } from './cluster.js'
import type { StackName } from './protocol.js'
import type { ClusterConfig, PhaseFigures } from './runStack.js'

const LABELS: Record<StackName, string> = { ws: 'raw ws', socketio: 'Socket.IO', troupe: 'Troupe' }
const P99_RATIO_TARGET = 1
const CPU_POINTS_TARGET = 2
const CPU_PERCENT_TARGET = 15
const VS_SOCKETIO_TARGET = 2
const VS_WS_TARGET = 1.5
const NONE = '–'

function deliveredOfSent(runs: PhaseFigures[]): string {
  const sent = sumOf(runs.map((run) => run.sent))
  const delivered = sumOf(runs.map((run) => run.delivered))
  const dead = Math.max(0, ...runs.map((run) => run.deadLetters))
  const deadText = dead > 0 ? `, ${dead.toLocaleString()} dead letters` : ''
  const counts = `${delivered.toLocaleString()}/${sent.toLocaleString()}`
  return delivered >= sent
    ? `${counts}${deadText}`
    : `${counts} (LOST ${(sent - delivered).toLocaleString()}${deadText})`
}

/** Throughput of a stack's runs: min, median, max and spread ((max − min) / median). */
function throughputOf(result: StackResult | undefined) {
  const rates = (result?.throughput ?? []).map((run) => run.deliveredPerSecond)
  const median = medianOf(rates)
  const max = rates.length === 0 ? Number.NaN : Math.max(...rates)
  return { runs: rates, min: minOf(rates), median, max, spread: (max - minOf(rates)) / median }
}

/** Prints both tables, the errors of stacks that did not complete, and the targets. */
export function printReport(
  results: StackResult[],
  config: ClusterConfig,
  load: LoadAverages & { cores: number },
): void {
  const of = (stack: StackName) => results.find((r) => r.stack === stack)
  console.log(`\n### Latency at ${config.rate.toLocaleString()} msgs/s per process (${config.seconds} s)\n`)
  const latencyRows = [['stack', 'p50 ms', 'p99 ms', 'p99.9 ms', 'CPU/process', 'delivered/sent']]
  for (const { stack, latency } of results) {
    const l = latency === undefined ? undefined : summarize(latency.latency)
    latencyRows.push(
      latency === undefined || l === undefined
        ? [LABELS[stack], NONE, NONE, NONE, NONE, NONE]
        : [
            LABELS[stack],
            formatMs(l.p50),
            formatMs(l.p99),
            formatMs(l.p999),
            `${latency.cpuPercent.toFixed(1)} %`,
            deliveredOfSent([latency]),
          ],
    )
  }
  printTable(latencyRows)
  const p99 = (stack: StackName) => of(stack)?.latency?.latency.percentile(99)
  const cpu = (stack: StackName) => of(stack)?.latency?.cpuPercent
  const p99Ratio = ratioOf(p99('troupe'), p99('ws'))
  const troupeCpu = cpu('troupe')
  const wsCpu = cpu('ws')
  const cpuPoints = troupeCpu === undefined || wsCpu === undefined ? undefined : troupeCpu - wsCpu
  console.log(
    `p99 Troupe / raw ws: ${formatRatio(p99Ratio)}; Troupe / Socket.IO: ${formatRatio(ratioOf(p99('troupe'), p99('socketio')))}`,
  )
  console.log(
    `CPU per process, Troupe − raw ws: ${cpuPoints === undefined ? NONE : `${cpuPoints >= 0 ? '+' : ''}${cpuPoints.toFixed(1)} points`}`,
  )

  console.log(
    `\n### Fire-and-forget throughput (${config.rounds} runs × ${config.seconds} s per stack, delivered across the cluster)\n`,
  )
  const figures = new Map(results.map((result) => [result.stack, throughputOf(result)]))
  const throughputRows = [['stack', 'min', 'median', 'max', 'spread', 'delivered/sent (all runs)']]
  for (const result of results) {
    const t = figures.get(result.stack)!
    throughputRows.push(
      result.throughput.length === 0
        ? [LABELS[result.stack], NONE, NONE, NONE, NONE, NONE]
        : [
            LABELS[result.stack],
            formatRate(t.min),
            formatRate(t.median),
            formatRate(t.max),
            `${(t.spread * 100).toFixed(0)} %`,
            deliveredOfSent(result.throughput),
          ],
    )
  }
  printTable(throughputRows)
  const ratios = (baseline: StackName) => ({
    min: ratioOf(figures.get('troupe')?.min, figures.get(baseline)?.min),
    median: ratioOf(figures.get('troupe')?.median, figures.get(baseline)?.median),
  })
  const vsSocketIo = ratios('socketio')
  const vsWs = ratios('ws')
  console.log(
    `Troupe / Socket.IO: min ${formatRatio(vsSocketIo.min)}, median ${formatRatio(vsSocketIo.median)}`,
  )
  console.log(`Troupe / raw ws:    min ${formatRatio(vsWs.min)}, median ${formatRatio(vsWs.median)}`)
  console.log(
    `load average ${load.before.toFixed(2)} before, ${load.after.toFixed(2)} after (${load.cores} cores)`,
  )

  for (const { stack, error } of results)
    if (error !== undefined) console.log(`\n${LABELS[stack]} did not complete: ${error}`)
  console.log('\ntargets for Troupe:')
  const points = cpuPoints === undefined ? NONE : `${cpuPoints.toFixed(1)} points`
  const share = troupeCpu === undefined ? NONE : `${troupeCpu.toFixed(1)} %`
  printTarget(`latency p99 ≤ ${P99_RATIO_TARGET}× raw ws`, p99Ratio, P99_RATIO_TARGET, 'atMost')
  printTarget(`CPU ≤ raw ws + ${CPU_POINTS_TARGET} points`, cpuPoints, CPU_POINTS_TARGET, 'atMost', points)
  // DESIGN.md says "under": a strict bound, just below the target itself
  printTarget(
    `CPU < ${CPU_PERCENT_TARGET} % of a core per process`,
    troupeCpu,
    CPU_PERCENT_TARGET - 1e-9,
    'atMost',
    share,
  )
  for (const [name, vs, target] of [
    ['Socket.IO', vsSocketIo, VS_SOCKETIO_TARGET],
    ['raw ws', vsWs, VS_WS_TARGET],
  ] as const) {
    printTarget(`throughput ≥ ${target}× ${name}, min of the runs`, vs.min, target, 'atLeast')
    printTarget(`throughput ≥ ${target}× ${name}, median of the runs`, vs.median, target, 'atLeast')
  }

  recordFigures('cluster', {
    config: { ...config, cores: config.cores.map((cpu) => cpu ?? null) },
    loadAverage: load,
    latency: Object.fromEntries(
      results.map(({ stack, latency }) => [
        stack,
        latency === undefined
          ? null
          : {
              ...summarize(latency.latency),
              cpuPercent: latency.cpuPercent,
              sent: latency.sent,
              delivered: latency.delivered,
            },
      ]),
    ),
    throughput: Object.fromEntries(results.map((result) => [result.stack, figures.get(result.stack)])),
    ratios: { p99VsWs: p99Ratio ?? null, cpuPointsVsWs: cpuPoints ?? null, vsSocketIo, vsWs },
    targets: {
      p99Ratio: P99_RATIO_TARGET,
      cpuPoints: CPU_POINTS_TARGET,
      cpuPercent: CPU_PERCENT_TARGET,
      vsSocketIo: VS_SOCKETIO_TARGET,
      vsWs: VS_WS_TARGET,
    },
    errors: Object.fromEntries(results.filter((r) => r.error !== undefined).map((r) => [r.stack, r.error])),
  })
}
