/**
 * Troupe endpoints: a node with an `echo` actor (replies with the message)
 * and a `sink` actor (counts), addressed as `echo@<id>` and `sink@<id>`.
 */
import { createNode, type Node } from '@troupe/node'
import type { Payload } from '../shared/payload.js'
import { ASK_TIMEOUT_MS, createSinkCounter, type Endpoint } from './endpoint.js'

/** How a Troupe endpoint joins. */
export interface TroupeEndpointOptions {
  id: string
  /** Listen on a free loopback port (a hub); otherwise a client of `seeds`. */
  listen: boolean
  seeds: string[]
  /** Node ids that must be `up` before the endpoint is ready (hubs); clients wait to be online instead. */
  waitFor?: string[]
  /** Hubs: most client connections; see `NodeOptions.maxClients`. */
  maxClients?: number
}

/** A started Troupe endpoint, its node, and its URL if it listens. */
export interface TroupeEndpoint extends Endpoint {
  readonly node: Node
  readonly url: string | undefined
}

/** Resolves once `node` can reach every id in `ids` (hubs) or is online (clients). */
export function untilReady(node: Node, ids: readonly string[]): Promise<void> {
  const ready = () =>
    ids.length === 0
      ? node.connectionState === 'online'
      : ids.every((id) => node.members().some((member) => member.id === id && member.status === 'up'))
  return new Promise((resolve) => {
    // a member back from suspect to up is no event: look again now and then too
    const timer = setInterval(() => check(), 50)
    const check = () => {
      if (!ready()) return
      clearInterval(timer)
      node.off('member-up', check)
      node.off('connection', check)
      resolve()
    }
    node.on('member-up', check)
    node.on('connection', check)
    check()
  })
}

/**
 * Starts a Troupe node with `echo` and `sink` actors and waits until it is ready.
 *
 * @example
 * const server = await startTroupeEndpoint({ id: 'srv', listen: true, seeds: [] })
 * const client = await startTroupeEndpoint({ id: 'cli', listen: true, seeds: [server.url!], waitFor: ['srv'] })
 * await client.ask('srv', makePayload(0, 'a'))
 */
export async function startTroupeEndpoint(options: TroupeEndpointOptions): Promise<TroupeEndpoint> {
  const node = await createNode({
    id: options.id,
    seeds: options.seeds,
    ...(options.listen ? { listen: { host: '127.0.0.1', port: 0 } } : { role: 'client' as const }),
    ...(options.maxClients === undefined ? {} : { maxClients: options.maxClients }),
  })
  const sink = createSinkCounter()
  node.spawn<Payload, Payload>('echo', { receive: (message, ctx) => ctx.reply(message) })
  node.spawn<Payload>('sink', { receive: () => sink.count() })
  await untilReady(node, options.waitFor ?? [])
  return {
    id: options.id,
    node,
    url: node.url,
    ask: (to, payload) => node.ask(`echo@${to}`, payload, { timeoutMs: ASK_TIMEOUT_MS }),
    send: (to, payload) => node.send(`sink@${to}`, payload),
    drain: (to) => node.drain(to),
    received: sink.read,
    close: () => node.close(),
  }
}
