import { type AskSettled, type Node, TROUPE_ERROR_CODES, TroupeError } from '@troupe/core'
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import { FIGURES, type Figure, type Labels } from './figures.js'
import { createReader, type Reading } from './reading.js'

/** @deprecated the node event's type is core's {@link AskSettled} */
export type AskSettledEvent = AskSettled

/** Buckets of `troupe_ask_duration_seconds`: 1 ms to 30 s, for asks on a LAN and across the internet. */
export const ASK_DURATION_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
]

const ASKS_TOTAL = 'troupe_asks_total'
const ASK_DURATION = 'troupe_ask_duration_seconds'
const OUTCOMES = new Set<string>(['ok', ...TROUPE_ERROR_CODES])

/** What {@link registerTroupeMetrics} registered, to take it out again. */
export interface TroupeMetrics {
  /** The names of the metrics registered, in export order. */
  readonly names: readonly string[]
  /** Removes the metrics from the registry and stops listening to the node. */
  unregister(): void
}

/**
 * Registers Troupe's metrics for `node` in an app's prom-client `registry`
 * (`troupe_*`: messages, dead letters by reason, asks, links, queues, members;
 * see docs/observability.md for the list). Values are read from
 * `node.metrics()` and `node.members()` when the registry is scraped; counts
 * are counters, levels gauges, ask latencies a histogram. Per-peer series exist
 * only for links to hubs; links to clients are summed into one series, so a hub
 * with 10,000 tabs exports a bounded number of series.
 *
 * prom-client's default process metrics are the app's to add
 * (`collectDefaultMetrics({ register: registry })`). `createNode({ listen,
 * metrics: true })` does all of this and serves `/metrics` itself.
 *
 * Throws `BAD_ARGUMENT` if a metric of the same name is registered already
 * (one node per registry).
 *
 * @example
 * ```ts
 * import { Registry, collectDefaultMetrics } from 'prom-client'
 * const registry = new Registry()
 * collectDefaultMetrics({ register: registry })
 * registerTroupeMetrics(node, registry)
 * app.get('/metrics', async (_req, res) => res.type(registry.contentType).send(await registry.metrics()))
 * ```
 */
export function registerTroupeMetrics(node: Node, registry: Registry): TroupeMetrics {
  const initial = node.metrics()
  const figures = FIGURES.filter((figure) => figure.present?.(initial) ?? true)
  const names = [...figures.map((figure) => figure.name), ASKS_TOTAL, ASK_DURATION]
  for (const name of names) {
    if (registry.getSingleMetric(name) !== undefined) {
      throw new TroupeError(
        'BAD_ARGUMENT',
        `registerTroupeMetrics: the registry has a metric "${name}" already (one node per registry)`,
      )
    }
  }

  const counters = new Map<Figure, Counter>()
  const lastTotals = new Map<string, number>()
  // the increase since the last reading, per figure and source; a total that went down started again
  const addIncrements = (reading: Reading): void => {
    const seen = new Set<string>()
    for (const [figure, counter] of counters) {
      for (const sample of figure.samples(reading)) {
        const key = `${figure.name}\u0000${sample.source ?? ''}\u0000${labelKey(sample.labels)}`
        seen.add(key)
        const before = lastTotals.get(key) ?? 0
        const increase = sample.value >= before ? sample.value - before : sample.value
        lastTotals.set(key, sample.value)
        counter.inc(sample.labels, increase) // by 0 too: every series exists from its first scrape
      }
    }
    // sources that went (links to clients that left) are forgotten: memory stays bounded by the live ones
    for (const key of lastTotals.keys()) if (!seen.has(key)) lastTotals.delete(key)
  }
  const read = createReader(node, addIncrements)

  for (const figure of figures) {
    const labelNames = [...(figure.labelNames ?? [])]
    const common = { name: figure.name, help: figure.help, labelNames, registers: [registry] }
    if (figure.type === 'counter') {
      const counter = new Counter({
        ...common,
        collect() {
          read() // a fresh reading adds every counter's increase
        },
      })
      counters.set(figure, counter)
    } else {
      new Gauge({
        ...common,
        collect() {
          this.reset()
          for (const sample of figure.samples(read())) this.inc(sample.labels, sample.value)
        },
      })
    }
  }
  // the first scrape counts from the node's start, not from registration
  read()

  const asks = new Counter({
    name: ASKS_TOTAL,
    help: 'Asks that ended, by outcome: ok, or the error code they rejected with.',
    labelNames: ['outcome'],
    registers: [registry],
  })
  const askDuration = new Histogram({
    name: ASK_DURATION,
    help: 'Time from an ask to its reply or its failure, by outcome.',
    labelNames: ['outcome'],
    buckets: [...ASK_DURATION_BUCKETS],
    registers: [registry],
  })
  const onAskSettled = (event: AskSettled): void => {
    const outcome = OUTCOMES.has(event.outcome) ? event.outcome.toLowerCase() : 'other'
    asks.inc({ outcome })
    askDuration.observe({ outcome }, event.durationMs / 1_000)
  }
  node.on('ask-settled', onAskSettled)

  return {
    names,
    unregister() {
      node.off('ask-settled', onAskSettled)
      for (const name of names) registry.removeSingleMetric(name)
    },
  }
}

function labelKey(labels: Labels): string {
  let key = ''
  for (const name in labels) key += `${name}=${labels[name]},`
  return key
}
