import {
  type NodeOptions as CoreNodeOptions,
  createNode as createCoreNode,
  type Node,
  type Protocol,
  TroupeError,
  type Untyped,
} from '@troupe/core'
import { collectDefaultMetrics, Registry } from 'prom-client'
import { createHttpEndpoints } from './observability/httpEndpoints.js'
import { ReadinessState } from './observability/readiness.js'
import { registerTroupeMetrics } from './observability/troupeMetrics.js'
import { createWsTransport, type WsTransportOptions } from './wsTransport.js'

/** Options of `metrics` in {@link NodeOptions}. */
export interface MetricsEndpointOptions {
  /**
   * Serve this registry at `/metrics`, with Troupe's metrics added to it (the
   * app's own metrics and prom-client's default ones are the app's to add).
   * @default a new registry with Troupe's metrics and prom-client's default process metrics
   */
  registry?: Registry
}

/** Options of the Node.js {@link createNode}: core's, plus where to listen. */
export interface NodeOptions extends Omit<CoreNodeOptions, 'transport'> {
  /**
   * Accept connections here, which makes this node a hub. Port 0 picks a free
   * port; `node.url` tells which. Without it the node is a client of its seeds.
   * The same port answers `GET /healthz` and `GET /readyz` (and `GET /metrics`
   * with `metrics`); other plain HTTP requests go to `listen.onRequest`, or get 404.
   */
  listen?: WsTransportOptions['listen']
  /** Trust these CA certificates when dialing `wss://` (self-signed deployments). */
  ca?: WsTransportOptions['ca']
  /**
   * Serve Prometheus metrics at `GET /metrics` on the listen port (hubs only).
   * The port is the one tabs connect to: expose it to the internet only behind
   * a proxy that keeps `/metrics` private. See `registerTroupeMetrics` to serve
   * them elsewhere.
   * @default false
   */
  metrics?: boolean | MetricsEndpointOptions
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
export async function createNode<P extends Protocol = Untyped>(options: NodeOptions = {}): Promise<Node<P>> {
  const { listen, ca, metrics = false, ...rest } = options
  if (metrics !== false && listen === undefined) {
    throw new TroupeError(
      'BAD_ARGUMENT',
      'createNode: `metrics` needs `listen` (it is served on the listen port); for a client, use registerTroupeMetrics',
    )
  }
  const registry = metrics === false ? undefined : metricsRegistry(metrics)
  const readiness = new ReadinessState(options.seeds ?? [])
  const withEndpoints =
    listen === undefined
      ? undefined
      : { ...listen, onRequest: createHttpEndpoints({ readiness, registry, fallback: listen.onRequest }) }
  const transport = createWsTransport({ listen: withEndpoints, ca, maxFrameBytes: options.maxFrameBytes })
  const node = await createCoreNode<P>({ role: listen === undefined ? 'client' : 'hub', ...rest, transport })
  if (registry !== undefined) registerTroupeMetrics(node, registry)
  readiness.started(node)
  // readiness drops the moment close() is called, long before the listener closes (after the grace)
  node.once('closing', () => readiness.closeStarted())
  return node
}

function metricsRegistry(metrics: true | MetricsEndpointOptions): Registry {
  if (metrics !== true && metrics.registry !== undefined) return metrics.registry
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  return registry
}
