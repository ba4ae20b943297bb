/**
 * The driver's side of the ask and relay benchmarks: starts endpoint
 * children, and measures round trips and fire-and-forget throughput between
 * endpoints living in them.
 */
import { type Child, startChild } from '../shared/child.js'
import { createHistogram, type Histogram } from '../shared/histogram.js'
import { settle } from '../shared/time.js'
import type { EndpointHandlers } from './endpointChild.js'

/** A child process holding endpoints. */
export type EndpointChild = Child<EndpointHandlers>

/** Starts an endpoint child named `name`, pinned to `cpu` when given. */
export const startEndpointChild = (name: string, cpu: number | string | undefined): EndpointChild =>
  startChild<EndpointHandlers>({ module: new URL('./endpointChild.ts', import.meta.url), name, cpu })

/** Where an endpoint lives: its process and its id there. */
export interface EndpointAt {
  child: EndpointChild
  id: string
}

/** Round trips measured so far, merged over runs. */
export interface RoundTrips {
  latency: Histogram
  done: number
  ms: number
}

/** An empty {@link RoundTrips}, to merge runs into. */
export const noRoundTrips = (): RoundTrips => ({ latency: createHistogram(), done: 0, ms: 0 })

/** Runs sequential asks from `from` to `to` and merges them into `into`. */
export async function measureRoundTrips(
  from: EndpointAt,
  to: EndpointAt,
  options: { warmup: number; count: number; maxMs: number },
  into: RoundTrips,
): Promise<void> {
  const run = await from.child.call(
    'roundTrips',
    from.id,
    to.id,
    options.warmup,
    options.count,
    options.maxMs,
  )
  into.latency.merge(run.latency)
  into.done += run.done
  into.ms += run.ms
}

/** One fire-and-forget run. */
export interface FloodFigures {
  sent: number
  /** Received by `to`'s sink, late arrivals included. */
  delivered: number
  /** Delivered per second, from just before the first send to the last arrival. */
  rate: number
}

/**
 * Floods `to` from `from` for `seconds`, waits for the stragglers, and
 * computes the delivered rate on the receiver's clock.
 */
export async function measureFlood(from: EndpointAt, to: EndpointAt, seconds: number): Promise<FloodFigures> {
  const before = await to.child.call('received', to.id)
  const { sent } = await from.child.call('flood', from.id, to.id, seconds)
  await settle(async () => (await to.child.call('received', to.id)).count - before.count, sent)
  const after = await to.child.call('received', to.id)
  const delivered = after.count - before.count
  const ms = after.lastAt - before.now
  return { sent, delivered, rate: delivered > 0 && ms > 0 ? (delivered / ms) * 1_000 : Number.NaN }
}

/** Paces tells from `from` to `to`, then waits until they arrived (or stopped arriving). */
export async function runPaced(
  from: EndpointAt,
  to: EndpointAt,
  rate: number,
  seconds: number,
): Promise<{ sent: number; delivered: number }> {
  const before = await to.child.call('received', to.id)
  const { sent } = await from.child.call('paced', from.id, to.id, rate, seconds)
  const delivered = await settle(
    async () => (await to.child.call('received', to.id)).count - before.count,
    sent,
  )
  return { sent, delivered }
}

/** The dead letters of every child in `children`, summed by reason; `none` when there are none. */
export async function deadLettersOf(children: EndpointChild[]): Promise<Record<string, number>> {
  const total: Record<string, number> = {}
  for (const child of children) {
    for (const [reason, n] of Object.entries(await child.call('deadLetters')))
      total[reason] = (total[reason] ?? 0) + n
  }
  return total
}

/** `queue-full 12,000, node-down 3` or `none`. */
export const formatDeadLetters = (byReason: Record<string, number>) =>
  Object.keys(byReason).length === 0
    ? 'none'
    : Object.entries(byReason)
        .map(([reason, n]) => `${reason} ${n.toLocaleString()}`)
        .join(', ')
