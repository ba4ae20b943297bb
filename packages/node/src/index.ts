/**
 * Troupe for Node.js. Until the WebSocket transport lands this entry re-exports
 * the core runtime, so a server can already run local actors.
 *
 * @packageDocumentation
 */
export * from '@troupe/core'
