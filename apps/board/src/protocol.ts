/**
 * The messages between the tabs and the hub, and the actors' names.
 *
 * ```
 * tab ──op / subscribe──▶ board@hub ──snapshot / applied / saved──▶ view@<tab>
 * tab ──cursor──▶ presence@<other tab>          (relayed by the hub)
 * tab ──ask──▶ troupe.inspector@hub ──reply: the hub's members and figures──▶ tab   (@troupe/inspector)
 * ```
 */
import type { Note, Op } from './model.js'

/** The hub's node id: tabs address `board@hub` before they have ever reached it. */
export const HUB_ID = 'hub'
export const BOARD_ACTOR = 'board'
export const VIEW_ACTOR = 'view'
export const PRESENCE_ACTOR = 'presence'

/** Board ops wait this long for the hub (offline edits survive a long absence). */
export const OP_TTL_MS = 10 * 60_000
/** Board updates wait this long for a tab; a tab gone longer gets a fresh snapshot when it is back. */
export const VIEW_TTL_MS = 60_000
/** A cursor position is worth nothing after this. */
export const PRESENCE_TTL_MS = 2_000

/** To `board@hub`. */
export type ToBoard =
  /** A change; `opId` (`<tabId>:<n>`) makes it idempotent at the hub. */
  | { readonly type: 'op'; readonly opId: string; readonly op: Op }
  /**
   * Sends board updates to `view` from now on, starting with a snapshot that
   * answers `nonce`. `known`: op ids the tab is still waiting to see saved; the
   * snapshot tells which of them the board has.
   */
  | { readonly type: 'subscribe'; readonly view: string; readonly nonce: number; readonly known: string[] }
  | { readonly type: 'unsubscribe'; readonly view: string }

/** To `view@<tab>`. */
export type ToView =
  | {
      readonly type: 'snapshot'
      readonly nonce: number
      /** The board's revision: how many ops it has applied, ever. */
      readonly rev: number
      /** The revision on disk. */
      readonly savedRev: number
      readonly notes: Note[]
      /** Of the subscriber's `known` op ids, those the board has applied, with their revisions. */
      readonly applied: Record<string, number>
    }
  /**
   * An op the board applied (possibly changing nothing), as revision `rev`,
   * and the note it was about as it is now (null: not on the board).
   */
  | {
      readonly type: 'applied'
      readonly rev: number
      readonly opId: string
      readonly op: Op
      readonly by: string
      readonly note: Note | null
    }
  /** Everything up to `rev` is on disk. */
  | { readonly type: 'saved'; readonly rev: number }
  /** The tabs viewing the board now (their node ids): where cursors go. Sent whenever it changes. */
  | { readonly type: 'tabs'; readonly tabs: string[] }

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

export const address = (actor: string, nodeId: string): string => `${actor}@${nodeId}`
