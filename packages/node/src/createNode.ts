import {
  type NodeOptions as CoreNodeOptions,
  createNode as createCoreNode,
  type Node,
  type Protocol,
  type Untyped,
} from '@troupe/core'
import { createWsTransport, type WsTransportOptions } from './wsTransport.js'

/** Options of the Node.js {@link createNode}: core's, plus where to listen. */
export interface NodeOptions extends Omit<CoreNodeOptions, 'transport'> {
  /**
   * Accept connections here, which makes this node a hub. Port 0 picks a free
   * port; `node.url` tells which. Without it the node is a client of its seeds.
   */
  listen?: WsTransportOptions['listen']
  /** Trust these CA certificates when dialing `wss://` (self-signed deployments). */
  ca?: WsTransportOptions['ca']
}

/**
 * Starts a node on Node.js, joined to the cluster through `seeds`.
 *
 * It resolves before any inbound message is handed to a mailbox: actors
 * spawned right after `await createNode(...)` (before any other `await`)
 * receive the messages that were held for this node while it was away.
 *
 * @example
 * ```ts
 * const a = await createNode({ id: 'a', listen: { host: '127.0.0.1', port: 9101 } })
 * const b = await createNode({ id: 'b', listen: { port: 0 }, seeds: [a.url!] })
 * b.spawn('echo', { receive: (msg, ctx) => ctx.reply(msg) })
 * console.log(await a.ask('echo@b', 'hi')) // 'hi'
 * ```
 */
export function createNode<P extends Protocol = Untyped>(options: NodeOptions = {}): Promise<Node<P>> {
  const { listen, ca, ...rest } = options
  const transport = createWsTransport({ listen, ca, maxFrameBytes: options.maxFrameBytes })
  return createCoreNode<P>({ role: listen === undefined ? 'client' : 'hub', ...rest, transport })
}
