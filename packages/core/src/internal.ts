/**
 * Pieces the platform adapters (`@troupe/node`, `@troupe/browser`) build on.
 * No semver promise: this entry may change in any release.
 *
 * @packageDocumentation
 */
export { DEFAULTS } from './defaults.js'
export { yieldToHost } from './host.js'
