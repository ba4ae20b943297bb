/**
 * The messages between the tabs and the board, and the names they use.
 *
 * ```
 * tab ──op / subscribe (asks)──▶ entity board/main (on h1 or h2) ──snapshot / applied──▶ view@<tab>
 * tab ──cursor (broadcast)──▶ group board:main:presence (every tab's presence actor)   (relayed by the hubs)
 * tab ──ask──▶ troupe.inspector@<its hub> ──reply: the hub's members and figures──▶ tab   (@troupe/inspector)
 * ```
 */
import type { Note, Op } from './model.js'

/** The board is an entity of this kind... */
export const BOARD_KIND = 'board'
/** ...and this key: `node.entity(BOARD_KIND, BOARD_KEY)` from any node. */
export const BOARD_KEY = 'main'
/** Each tab's actor that keeps its copy of the board (`view@<tab>`). */
export const VIEW_ACTOR = 'view'
/** Each tab's actor that draws the other tabs' cursors (`presence@<tab>`). */
export const PRESENCE_ACTOR = 'presence'
/** Every tab's presence actor is in this group: a cursor is broadcast to it. */
export const PRESENCE_GROUP = `${BOARD_KIND}:${BOARD_KEY}:presence`

/** A tab waits this long for the board to answer an op (offline edits survive a long absence). */
export const OP_TTL_MS = 10 * 60_000
/** A tab waits this long for the board to answer a subscribe before it asks again. */
export const SUBSCRIBE_TIMEOUT_MS = 10_000
/** Board updates wait this long for a tab; a tab gone longer gets a fresh snapshot when it is back. */
export const VIEW_TTL_MS = 60_000
/** A cursor position is worth nothing after this. */
export const PRESENCE_TTL_MS = 2_000

/** To the board (always asked: the reply says the change is saved). */
export type ToBoard =
  /** A change; `opId` (`<tabId>:<n>`) makes it idempotent at the board. Answered with an {@link OpReply}. */
  | { readonly type: 'op'; readonly opId: string; readonly op: Op }
  /**
   * Sends board updates to `view` from now on, starting with a snapshot that
   * answers `nonce`. `known`: op ids the tab is still waiting to see saved; the
   * snapshot tells which of them the board has. Answered with null.
   */
  | { readonly type: 'subscribe'; readonly view: string; readonly nonce: number; readonly known: string[] }
  /** No more updates for `view` (its tab is gone). Answered with null. */
  | { readonly type: 'unsubscribe'; readonly view: string }

/** The board's answer to an op, once the op is saved (or refused). */
export interface OpReply {
  /** The revision the op became (for a repeat: the one it became the first time). */
  readonly rev: number
  /** The op id was applied already: this was a repeat, and changed nothing. */
  readonly repeat?: true
  /** The op was not applied: the board is at its size limit. */
  readonly refused?: 'board-full'
}

/** Where the board was when it sent a message: the hub, and that hub's activation of it. */
export interface BoardSource {
  /** The node id of the hub the board was active on. */
  readonly host: string
  /** One activation of the board (new after every move, failover or passivation). */
  readonly activation: string
}

/** To `view@<tab>`. */
export type ToView =
  | (BoardSource & {
      readonly type: 'snapshot'
      readonly nonce: number
      /** The board's revision: how many ops it has applied, ever. */
      readonly rev: number
      readonly notes: Note[]
      /** Of the subscriber's `known` op ids, those the board has applied, with their revisions. */
      readonly applied: Record<string, number>
    })
  /**
   * An op the board applied (possibly changing nothing), as revision `rev`,
   * and the note it was about as it is now (null: not on the board).
   */
  | (BoardSource & {
      readonly type: 'applied'
      readonly rev: number
      readonly opId: string
      readonly op: Op
      readonly by: string
      readonly note: Note | null
    })

/** To `presence@<tab>`, from another tab: where its pointer is on the board. */
export interface PresenceMessage {
  readonly from: string
  readonly name: string
  readonly color: string
  /** Board coordinates; absent when the pointer left the board. */
  readonly x?: number
  readonly y?: number
  /** The note being dragged, where it is now (a live preview; the move op follows on drop). */
  readonly drag?: { readonly id: string; readonly x: number; readonly y: number }
}

/** The address of actor `actor` on node `nodeId`. */
export const address = (actor: string, nodeId: string): string => `${actor}@${nodeId}`
