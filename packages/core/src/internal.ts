/**
 * Pieces the platform adapters (`@troupe/node`, `@troupe/browser`) build on.
 * No semver promise: this entry may change in any release.
 *
 * @packageDocumentation
 */
import { TroupeError } from './errors.js'
import { type Node, TroupeNode } from './node.js'

export { DEFAULTS } from './defaults.js'
export { type CodecOptions, dataHead, type EncodedData, FrameCodec, joinFrame } from './wire/codec.js'
export { ENVELOPE_CODES, PROTOCOL_VERSION } from './wire/codes.js'
export type * from './wire/envelope.js'
export { decodeValue, encodeValue } from './wire/values.js'
export { yieldToHost } from './host.js'
export { closeReason } from './transport/closeReason.js'
export { Inbox } from './transport/inbox.js'

/** What a platform adapter tells a client node about its surroundings. */
export interface NodeControls {
  /** The browser went offline (`false`) or online (`true`): stop dialing, or dial at once. */
  setNetworkOnline(online: boolean): void
  /** The page is hidden or frozen (`true`), or visible again: heartbeats slow down meanwhile. */
  setBackground(background: boolean): void
  /** Dial the hub now if the link is down (page resumed, restored from the back/forward cache); not after a refusal. */
  reconnectNow(): void
  /** After a refusal (4401, 4409), dial again: the token or the situation changed. */
  retryRefused(): void
}

/** The controls of a node made by `createNode`. */
export function nodeControls(node: Node): NodeControls {
  if (!(node instanceof TroupeNode))
    throw new TroupeError('BAD_ARGUMENT', 'nodeControls: not a node made by createNode')
  const cluster = node.controls
  return {
    setNetworkOnline: (online) => cluster?.setNetworkOnline(online),
    setBackground: (background) => cluster?.setBackground(background),
    reconnectNow: () => cluster?.reconnectNow(),
    retryRefused: () => cluster?.retryRefused(),
  }
}
