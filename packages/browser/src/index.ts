/**
 * Troupe for browsers: the core runtime, plus a `createNode` that joins a tab
 * to a cluster as a client of its hubs, over the browser's WebSocket, and
 * follows the page's lifecycle (online/offline, hidden, frozen, restored).
 *
 * @packageDocumentation
 */
export * from '@troupe/core'
export { type BrowserNodeOptions, createNode, type NodeOptions } from './createNode.js'
export {
  type BrowserTransportOptions,
  createBrowserTransport,
  createWsTransport,
  type WebSocketConstructor,
  type WsTransportOptions,
} from './wsTransport.js'
