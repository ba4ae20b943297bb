/**
 * Bytes on the wire per relayed message, counted by a TCP proxy in front of
 * the relay (Troupe hub or raw ws relay): two more clients join through the
 * proxy, so every byte they and the relay exchange is counted, both ways
 * (WebSocket framing, envelopes, acks and heartbeats included).
 */

import type { ComparedStack, PerStack } from '../endpoints/comparison.js'
import type { EndpointStack } from '../endpoints/endpoint.js'
import {
  type EndpointAt,
  type EndpointChild,
  measureFlood,
  measureRoundTrips,
  noRoundTrips,
  runPaced,
} from '../endpoints/measure.js'
import { startByteProxy } from '../shared/byteProxy.js'
import { formatBytes, printTable } from '../shared/stats.js'
import { sleep } from '../shared/time.js'

/** Two idle client heartbeat periods (`clientHeartbeatMs`, 5 s): a shorter window could see none. */
const IDLE_SECONDS = 10
const ASKS = 1_000
const PACED_RATE = 1_000
const PACED_SECONDS = 2
const FLOOD_SECONDS = 1
/** Acks and replies that trail the last message still belong to it. */
const TRAIL_MS = 500

/** Wire bytes of one workload: per relayed message, both directions of both clients' links summed. */
export interface WireBytes {
  messages: number
  toRelay: number
  fromRelay: number
  perMessage: number
}

/** What {@link measureWireBytes} found. */
export interface WireFigures {
  idleBytesPerSecond: number
  /** A sequential ask is two relayed messages: the ask and its reply. */
  asks: WireBytes
  paced: WireBytes
  flood: WireBytes
}

/**
 * Connects `pa` (in `a`) and `pb` (in `b`) to the relay at `relayUrl` through
 * a counting proxy, and counts the bytes of idle links, sequential asks,
 * paced tells and a flood of tells.
 */
export async function measureWireBytes(
  stack: EndpointStack,
  relayUrl: string,
  a: EndpointChild,
  b: EndpointChild,
): Promise<WireFigures> {
  const proxy = await startByteProxy(Number(new URL(relayUrl).port))
  try {
    const from: EndpointAt = { child: a, id: 'pa' }
    const to: EndpointAt = { child: b, id: 'pb' }
    await b.call('connect', stack, 'client', to.id, proxy.url)
    await a.call('connect', stack, 'client', from.id, proxy.url)
    // the handshakes and the first route lookups are not what a message costs
    await measureRoundTrips(from, to, { warmup: 100, count: 0, maxMs: 10_000 }, noRoundTrips())
    await sleep(TRAIL_MS)

    const count = async (work: () => Promise<number>): Promise<WireBytes> => {
      proxy.reset()
      const messages = await work()
      await sleep(TRAIL_MS)
      const { toTarget, fromTarget } = proxy.counts()
      return {
        messages,
        toRelay: toTarget,
        fromRelay: fromTarget,
        perMessage: (toTarget + fromTarget) / messages,
      }
    }
    proxy.reset()
    await sleep(IDLE_SECONDS * 1_000)
    const idle = proxy.counts()
    const asks = await count(async () => {
      const trips = noRoundTrips()
      await measureRoundTrips(from, to, { warmup: 0, count: ASKS, maxMs: 30_000 }, trips)
      return 2 * trips.done
    })
    const paced = await count(async () => (await runPaced(from, to, PACED_RATE, PACED_SECONDS)).delivered)
    const flood = await count(async () => (await measureFlood(from, to, FLOOD_SECONDS)).delivered)
    return {
      idleBytesPerSecond: (idle.toTarget + idle.fromTarget) / IDLE_SECONDS,
      asks,
      paced,
      flood,
    }
  } finally {
    // closed before the proxy, so no client keeps redialing it
    await Promise.allSettled([a.call('disconnect', 'pa'), b.call('disconnect', 'pb')])
    await proxy.close()
  }
}

/** Labels of the workloads, for the report. */
const WIRE_WORKLOADS = {
  asks: `${ASKS.toLocaleString()} sequential asks (ask + reply)`,
  paced: `tells paced at ${PACED_RATE.toLocaleString()}/s`,
  flood: `tells, flood for ${FLOOD_SECONDS} s`,
} as const

/** Prints the wire bytes of both stacks, per relayed message and in total per direction. */
export function printWireBytes(labels: PerStack<string>, wire: Partial<PerStack<WireFigures>>): void {
  console.log(
    '\n### Bytes on the wire per relayed message (TCP payload through a counting proxy, both clients, both ways)\n',
  )
  const rows = [['', 'idle (heartbeats)', ...Object.values(WIRE_WORKLOADS)]]
  for (const stack of ['ws', 'troupe'] as ComparedStack[]) {
    const figures = wire[stack]
    if (figures === undefined) continue
    const cell = (w: WireBytes) =>
      `${w.perMessage.toFixed(1)} B (${formatBytes(w.toRelay)} in, ${formatBytes(w.fromRelay)} out)`
    rows.push([
      labels[stack],
      `${formatBytes(figures.idleBytesPerSecond)}/s`,
      cell(figures.asks),
      cell(figures.paced),
      cell(figures.flood),
    ])
  }
  printTable(rows)
}
