/**
 * Pieces the platform adapters (`@troupe/node`, `@troupe/browser`) build on.
 * No semver promise: this entry may change in any release.
 *
 * @packageDocumentation
 */
import { DEFAULTS as defaults } from './defaults.js'
import { TroupeError } from './errors.js'
import { yieldToHost as hostYield } from './host.js'
import type { Node } from './node/api.js'
import { TroupeNode } from './node/node.js'
import { closeReason as trimCloseReason } from './transport/closeReason.js'
import { Inbox as InboxImpl } from './transport/inbox.js'

// The wire: frames, envelopes, and the encoding of message bodies.
export { bodyIsLast, type CodecOptions, FrameCodec, joinFrame } from './wire/codec.js'
export { ENVELOPE_CODES, PROTOCOL_VERSION } from './wire/codes.js'
export type * from './wire/envelope.js'
export { MAX_ASK_ID } from './wire/envelope.js'
export { decodeValue, encodeValue } from './wire/values.js'

// The declarations below are marked internal where they live, so `stripInternal` drops them from core's own
// .d.ts files; this entry declares them again, so its .d.ts stands on its own.

/** Every default of the runtime, in one place (option docs refer to it). */
export const DEFAULTS = defaults

/**
 * Runs `fn` in a later macrotask, letting I/O and timers run first: what an
 * actor does once it has used its turn, so it cannot starve the event loop.
 */
export const yieldToHost: (fn: () => void) => void = hostYield

/**
 * `text` cut to fit a WebSocket close frame (123 bytes of UTF-8), without
 * splitting a character: `ws` and browsers throw on longer ones.
 */
export const closeReason: (text: string) => string = trimCloseReason

/**
 * The receiving half every WebSocket-based `Connection` shares: frames and the
 * close that arrive before the owner sets `onMessage`/`onClose` wait for the
 * handler; the peer's close is reported after the frames it sent before it;
 * this side's close is reported at once; `onClose` runs exactly once.
 */
export interface Inbox {
  /** True once the connection is over, or this side or the peer has ended it: no more frames in or out. */
  readonly ended: boolean
  onMessage: ((bytes: Uint8Array) => void) | undefined
  onClose: ((code: number, reason: string) => void) | undefined
  /** A frame arrived. */
  frame(bytes: Uint8Array): void
  /** The peer (or the network) closed: reported once the frames before it are handed over. */
  peerClosed(code: number, reason: string): void
  /** The close to report if this side closes now: the peer's, if it came first (as in a closing handshake). */
  closing(code: number, reason: string): [code: number, reason: string]
  /** This side ended the connection (or a protocol error did): waiting frames are dropped, the close reported now. */
  end(code: number, reason: string): void
}

/** Makes an {@link Inbox}; `flow.hold` runs when frames start waiting for a handler, `flow.release` when none wait. */
export const Inbox: new (flow?: { hold?(): void; release?(): void }) => Inbox = InboxImpl

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
