/**
 * Troupe for Node.js: the core runtime plus the WebSocket transport that links
 * Node servers and browser tabs into one cluster.
 *
 * @packageDocumentation
 */
export * from '@troupe/core'
export { createNode, type NodeOptions } from './createNode.js'
export { type NatsStorageOptions, natsStorage } from './storage/natsStorage.js'
export { type SqliteStorageOptions, sqliteStorage } from './storage/sqliteStorage.js'
export { createWsTransport, type WsTransportOptions } from './wsTransport.js'
