/**
 * What the ask and relay benchmarks share: raw ws against Troupe, run in
 * alternation, and the same two tables (latency percentiles, fire-and-forget
 * rates) with Troupe's ratio to raw ws.
 */
import { type LatencySummary, summarize } from '../shared/histogram.js'
import { formatMs, formatRate, formatRatio, medianOf, printTable, ratioOf, sumOf } from '../shared/stats.js'
import type { FloodFigures, RoundTrips } from './measure.js'

/** The compared stacks, baseline first. */
export const COMPARED = ['ws', 'troupe'] as const

/** One of {@link COMPARED}. */
export type ComparedStack = (typeof COMPARED)[number]

/** A value per compared stack. */
export type PerStack<T> = Record<ComparedStack, T>

/** Runs `run` for every stack, `rounds` times, the stacks taking turns (so outside load hits both alike). */
export async function alternate(
  rounds: number,
  run: (stack: ComparedStack, round: number) => Promise<void>,
): Promise<void> {
  for (let round = 0; round < rounds; round++) for (const stack of COMPARED) await run(stack, round)
}

/** Latency percentiles per stack and Troupe's ratios to raw ws. */
export interface LatencyComparison {
  latency: PerStack<LatencySummary>
  ratios: { p50?: number; p90?: number; p99?: number; p999?: number }
}

/** Prints the round-trip percentiles of both stacks and the ratio row. */
export function printLatencyComparison(
  title: string,
  labels: PerStack<string>,
  trips: PerStack<RoundTrips>,
): LatencyComparison {
  const latency = { ws: summarize(trips.ws.latency), troupe: summarize(trips.troupe.latency) }
  const ratios = {
    p50: ratioOf(latency.troupe.p50, latency.ws.p50),
    p90: ratioOf(latency.troupe.p90, latency.ws.p90),
    p99: ratioOf(latency.troupe.p99, latency.ws.p99),
    p999: ratioOf(latency.troupe.p999, latency.ws.p999),
  }
  console.log(`### ${title} (ms)\n`)
  const rows = [['', 'round trips', 'p50', 'p90', 'p99', 'p99.9']]
  for (const stack of COMPARED) {
    const l = latency[stack]
    rows.push([labels[stack], l.count.toLocaleString(), ...[l.p50, l.p90, l.p99, l.p999].map(formatMs)])
  }
  rows.push(['Troupe / raw ws', '', ...[ratios.p50, ratios.p90, ratios.p99, ratios.p999].map(formatRatio)])
  printTable(rows)
  return { latency, ratios }
}

/** Fire-and-forget runs per stack, their medians, and Troupe's ratio to raw ws. */
export interface FloodComparison {
  runs: PerStack<FloodFigures[]>
  median: PerStack<number>
  ratio?: number
}

/** Prints the fire-and-forget runs of both stacks, their medians and the ratio. */
export function printFloodComparison(
  title: string,
  labels: PerStack<string>,
  runs: PerStack<FloodFigures[]>,
): FloodComparison {
  const median = {
    ws: medianOf(runs.ws.map((r) => r.rate)),
    troupe: medianOf(runs.troupe.map((r) => r.rate)),
  }
  console.log(`\n### ${title} (median of ${runs.ws.length} runs)\n`)
  const rows = [['', 'delivered/s', 'runs', 'delivered/sent (all runs)']]
  for (const stack of COMPARED) {
    const sent = sumOf(runs[stack].map((run) => run.sent))
    const delivered = sumOf(runs[stack].map((run) => run.delivered))
    rows.push([
      labels[stack],
      formatRate(median[stack]),
      runs[stack].map((run) => formatRate(run.rate)).join(', '),
      `${delivered.toLocaleString()}/${sent.toLocaleString()}${delivered < sent ? ' (LOST some)' : ''}`,
    ])
  }
  printTable(rows)
  const ratio = ratioOf(median.troupe, median.ws)
  console.log(`Troupe / raw ws: ${formatRatio(ratio)}`)
  return { runs, median, ratio }
}
