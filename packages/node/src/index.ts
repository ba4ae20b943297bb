/**
 * Troupe for Node.js: the core runtime plus the WebSocket transport that links
 * Node servers and browser tabs into one cluster.
 *
 * @packageDocumentation
 */
export * from '@troupe/core'
export { createNode, type MetricsEndpointOptions, type NodeOptions } from './createNode.js'
export type { Readiness } from './observability/readiness.js'
export type { PeerLabels } from './observability/reading.js'
export {
  ASK_DURATION_BUCKETS,
  type AskSettledEvent,
  registerTroupeMetrics,
  type TroupeMetrics,
} from './observability/troupeMetrics.js'
export { type NatsStorageOptions, natsStorage } from './storage/natsStorage.js'
export { type SqliteStorageOptions, sqliteStorage } from './storage/sqliteStorage.js'
export { createWsTransport, type WsTransportOptions } from './wsTransport.js'
