/**
 * Troupe for browsers. Until the browser WebSocket transport lands this entry
 * re-exports the core runtime, so a tab can already run local actors.
 *
 * @packageDocumentation
 */
export * from '@troupe/core'
