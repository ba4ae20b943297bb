/**
 * A child process holding endpoints (and possibly a relay) of the ask and
 * relay benchmarks, driven over IPC: see `startChild` and `measure.ts`.
 */

import type { Node } from '@troupe/node'
import { serveCalls } from '../shared/childServer.js'
import { createHistogram } from '../shared/histogram.js'
import { flood, paced } from '../shared/load.js'
import { makePayload } from '../shared/payload.js'
import type { Endpoint, EndpointStack } from './endpoint.js'
import { startTroupeEndpoint } from './troupeEndpoint.js'
import { connectWsEndpoint, startWsServerEndpoint } from './wsEndpoint.js'
import { startWsRelay } from './wsRelay.js'

/** How an endpoint joins: a hub peer of a server, a client of a hub, or a raw client of a relay. */
export type JoinMode = 'peer' | 'client'

const endpoints = new Map<string, Endpoint>()
/** Every Troupe node of this process, hub included, for their dead letters. */
const nodes: Node[] = []
const closers: (() => Promise<void>)[] = []
let seq = 0

function endpoint(id: string): Endpoint {
  const found = endpoints.get(id)
  if (found === undefined) throw new Error(`no endpoint "${id}" in this process`)
  return found
}

const handlers = {
  /** A server endpoint `id` (Troupe: a listening node; ws: a server). */
  async startServer(stack: EndpointStack, id: string): Promise<{ url: string }> {
    if (stack === 'ws') {
      const server = await startWsServerEndpoint(id)
      endpoints.set(id, server)
      return { url: server.url }
    }
    const server = await startTroupeEndpoint({ id, listen: true, seeds: [] })
    nodes.push(server.node)
    endpoints.set(id, server)
    return { url: server.url! }
  },

  /** A relay between clients (Troupe: a hub node named `hub`; ws: `wsRelay`). */
  async startRelay(stack: EndpointStack): Promise<{ url: string }> {
    if (stack === 'ws') {
      const relay = await startWsRelay()
      closers.push(() => relay.close())
      return { url: relay.url }
    }
    const hub = await startTroupeEndpoint({ id: 'hub', listen: true, seeds: [] })
    nodes.push(hub.node)
    closers.push(() => hub.close())
    return { url: hub.url! }
  },

  /**
   * Endpoint `id` joining through `url`. Troupe `peer`: a listening node that
   * waits for `serverId`; Troupe `client`: a client node of the hub at `url`.
   * ws `peer`: a client of a ws server endpoint; ws `client`: a client of a ws relay.
   */
  async connect(stack: EndpointStack, mode: JoinMode, id: string, url: string, serverId = ''): Promise<void> {
    if (stack === 'ws') {
      endpoints.set(id, await connectWsEndpoint({ id, url, relayed: mode === 'client' }))
      return
    }
    const joined = await startTroupeEndpoint({
      id,
      listen: mode === 'peer',
      seeds: [url],
      waitFor: mode === 'peer' ? [serverId] : [],
    })
    nodes.push(joined.node)
    endpoints.set(id, joined)
  },

  /** `warmup` unmeasured asks from `from` to `to`, then `count` measured ones, one at a time (at most `maxMs`). */
  async roundTrips(from: string, to: string, warmup: number, count: number, maxMs: number) {
    const source = endpoint(from)
    for (let i = 0; i < warmup; i++) await source.ask(to, makePayload(seq++, 'a'))
    const latency = createHistogram()
    const start = performance.now()
    const end = start + maxMs
    let done = 0
    for (; done < count && performance.now() < end; done++) {
      const sentAt = performance.now()
      await source.ask(to, makePayload(seq++, 'a'))
      latency.record(performance.now() - sentAt)
    }
    return { latency: latency.toJSON(), done, ms: performance.now() - start }
  },

  /** Tells from `from` to `to` as fast as the link accepts, for `seconds`. */
  async flood(from: string, to: string, seconds: number): Promise<{ sent: number }> {
    const source = endpoint(from)
    const sent = await flood(
      () => {
        return source.send(to, makePayload(seq++, 't')) ? undefined : source.drain(to)
      },
      performance.now() + seconds * 1_000,
    )
    return { sent }
  },

  /** Tells from `from` to `to` at `rate` per second, for `seconds`. */
  async paced(from: string, to: string, rate: number, seconds: number): Promise<{ sent: number }> {
    const source = endpoint(from)
    const start = performance.now()
    const sent = await paced(
      () => source.send(to, makePayload(seq++, 't')),
      rate,
      start,
      start + seconds * 1_000,
    )
    return { sent }
  },

  /** What endpoint `id`'s sink counted so far. */
  received: (id: string) => endpoint(id).received(),

  /** Dead letters of this process's Troupe nodes so far, by reason (only the non-zero ones). */
  deadLetters(): Record<string, number> {
    const total: Record<string, number> = {}
    for (const node of nodes) {
      for (const [reason, n] of Object.entries(node.metrics().deadLetters))
        if (n > 0) total[reason] = (total[reason] ?? 0) + n
    }
    return total
  },

  /** Closes endpoint `id`, if this process has it. */
  async disconnect(id: string): Promise<void> {
    await endpoints.get(id)?.close()
    endpoints.delete(id)
  },

  /** Closes every endpoint and relay of this process. */
  async close(): Promise<void> {
    for (const open of endpoints.values()) await open.close()
    for (const close of closers) await close()
    endpoints.clear()
  },
}

/** The calls an endpoint child answers. */
export type EndpointHandlers = typeof handlers

serveCalls(handlers)
