/**
 * The board model, shared by the board entity (on a hub) and the tabs
 * (which apply the same ops optimistically): notes, the ops that change them,
 * and the checks every op from the network goes through.
 *
 * A note's text and its position are two last-writer-wins registers, each
 * with a Lamport stamp. An op carries the whole note as its tab sees it, with
 * the stamp of the part it changed moved forward, and applying it keeps, part
 * by part, whichever stamp is higher. So ops commute: the board ends the same
 * whatever order they arrive in, which matters when tabs send ops again after
 * a failover or a long time offline (see boardClient.ts). A delete always wins.
 */

/** The board is a fixed area; notes and cursors live in its coordinates. */
export const BOARD = { width: 2400, height: 1600 } as const
/** A note's size on the board. */
export const NOTE = { width: 208, height: 176 } as const
/** Characters in a note. */
export const MAX_TEXT = 1_000
/** Notes on a board. The board also has a limit in bytes (hub/boardEntity.ts). */
export const MAX_NOTES = 200

/** Note ids: `n-` and 6–32 of A-Z a-z 0-9 _ -. */
const NOTE_ID = /^n-[A-Za-z0-9_-]{6,32}$/
const NODE_ID = /^[A-Za-z0-9_-]{1,64}$/
const COLOR_KEY = /^[a-z]{1,16}$/

/** A Lamport stamp: a counter, and the tab that wrote (ties go to the greater tab id). */
export type Stamp = readonly [counter: number, tab: string]

/** A sticky note, as the board and the tabs keep it. */
export interface Note {
  readonly id: string
  readonly text: string
  readonly x: number
  readonly y: number
  /** Stacking order: a moved note goes on top. */
  readonly z: number
  /** A palette key (see identity.ts): the colour of the tab that made it. */
  readonly color: string
  /** The name of the tab that made it. */
  readonly author: string
  /** When `text` was written. */
  readonly textStamp: Stamp
  /** When `x`, `y`, `z` were written. */
  readonly posStamp: Stamp
}

/**
 * A change to the board: the note as the tab sees it after the change (`add`,
 * `edit`, `move` only say which part changed), or a delete. Idempotent and
 * commutative (see above).
 */
export type Op =
  | { readonly kind: 'add' | 'edit' | 'move'; readonly note: Note }
  | { readonly kind: 'delete'; readonly id: string }

/** The notes of a board, by id. */
export type Notes = Map<string, Note>

/** Orders stamps: negative if `a` is older. */
export function compareStamps(a: Stamp, b: Stamp): number {
  return a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0)
}

/** `current` and `incoming` joined: the newer text and the newer position. */
export function mergeNote(current: Note | undefined, incoming: Note): Note {
  if (current === undefined) return incoming
  const text = compareStamps(incoming.textStamp, current.textStamp) > 0 ? incoming : current
  const pos = compareStamps(incoming.posStamp, current.posStamp) > 0 ? incoming : current
  if (text === current && pos === current) return current
  return {
    ...current,
    text: text.text,
    textStamp: text.textStamp,
    x: pos.x,
    y: pos.y,
    z: pos.z,
    posStamp: pos.posStamp,
  }
}

/** Options of {@link applyOp}. */
export interface ApplyOptions {
  /** Ids of deleted notes: no op brings one back. */
  deleted?: ReadonlySet<string>
  /**
   * An edit or move of a note that is not here (and not deleted) puts the note
   * back. The board's choice: after a failover, an edit may arrive before the
   * add it follows. A tab does not: for it, a missing note was deleted.
   */
  restore?: boolean
}

/** Applies `op` to `notes` in place; returns whether anything changed. */
export function applyOp(notes: Notes, op: Op, options: ApplyOptions = {}): boolean {
  if (op.kind === 'delete') return notes.delete(op.id)
  const { note } = op
  if (options.deleted?.has(note.id)) return false
  const current = notes.get(note.id)
  if (current === undefined && ((op.kind !== 'add' && options.restore !== true) || notes.size >= MAX_NOTES)) {
    return false
  }
  const next = mergeNote(current, note)
  if (next === current) return false
  notes.set(note.id, next)
  return true
}

/** The highest `z` on the board (0 when empty): a note raised goes to `topZ(notes) + 1`. */
export function topZ(notes: Notes): number {
  let top = 0
  for (const note of notes.values()) if (note.z > top) top = note.z
  return top
}

/** Keeps a note's top-left corner on the board. */
export function clampPosition(x: number, y: number): { x: number; y: number } {
  return {
    x: Math.round(Math.min(Math.max(x, 0), BOARD.width - NOTE.width)),
    y: Math.round(Math.min(Math.max(y, 0), BOARD.height - NOTE.height)),
  }
}

/** Whether `value` is a well-formed note id. */
export const isNoteId = (value: unknown): value is string => typeof value === 'string' && NOTE_ID.test(value)

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const isFiniteNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value)
const isText = (value: unknown, max: number): value is string =>
  typeof value === 'string' && value.length <= max
const isStamp = (value: unknown): value is Stamp =>
  Array.isArray(value) &&
  value.length === 2 &&
  Number.isSafeInteger(value[0]) &&
  value[0] >= 0 &&
  typeof value[1] === 'string' &&
  NODE_ID.test(value[1])

/** A note from the network or from disk, checked and normalized; undefined if it is not one. */
export function parseNote(value: unknown): Note | undefined {
  if (!isRecord(value)) return undefined
  const { id, text, x, y, z, color, author, textStamp, posStamp } = value
  if (!isNoteId(id) || !isText(text, MAX_TEXT) || !isFiniteNumber(x) || !isFiniteNumber(y)) return undefined
  if (!isFiniteNumber(z) || typeof color !== 'string' || !COLOR_KEY.test(color) || !isText(author, 40)) {
    return undefined
  }
  if (!isStamp(textStamp) || !isStamp(posStamp)) return undefined
  return {
    id,
    text,
    ...clampPosition(x, y),
    z: Math.max(0, Math.round(z)),
    color,
    author,
    textStamp: [textStamp[0], textStamp[1]],
    posStamp: [posStamp[0], posStamp[1]],
  }
}

/** An op from the network, checked and normalized (positions clamped); undefined if it is not one. */
export function parseOp(value: unknown): Op | undefined {
  if (!isRecord(value)) return undefined
  switch (value.kind) {
    case 'add':
    case 'edit':
    case 'move': {
      const note = parseNote(value.note)
      return note === undefined ? undefined : { kind: value.kind, note }
    }
    case 'delete':
      return isNoteId(value.id) ? { kind: 'delete', id: value.id } : undefined
    default:
      return undefined
  }
}

/** The id of the note an op is about. */
export const noteIdOf = (op: Op): string => (op.kind === 'delete' ? op.id : op.note.id)

/** The highest counter in a note's stamps. */
export const latestCounter = (note: Note): number => Math.max(note.textStamp[0], note.posStamp[0])

/** A random id of `length` characters from A-Z a-z 0-9. */
export function randomId(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
  const bytes = crypto.getRandomValues(new Uint8Array(length))
  let id = ''
  for (const byte of bytes) id += alphabet[byte % alphabet.length]
  return id
}
