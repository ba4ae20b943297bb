import type { ActorContext, Behavior } from '@troupe/node'
import { applyOp, type Note, type Notes, noteIdOf, parseNote, parseOp } from '../src/model.js'
import { type ToBoard, type ToView, VIEW_ACTOR, VIEW_TTL_MS } from '../src/protocol.js'
import type { SnapshotStore } from './store.js'

/** The board as it is written to disk. */
export interface PersistedBoard {
  version: 1
  /** Ops applied, ever. */
  rev: number
  notes: Note[]
  /** Ids of deleted notes (the latest {@link MAX_REMEMBERED}): an add that comes late must not revive one. */
  deleted: string[]
  /** Ids and revisions of the latest ops applied: a tab re-sending an op is told it is already in. */
  applied: Array<[opId: string, rev: number]>
}

/** How many deleted ids and op ids the board remembers. */
export const MAX_REMEMBERED = 10_000

/** Messages the hub process itself sends the board: a symbol no network message can carry. */
const INTERNAL = Symbol('board-internal')
type Internal =
  | { readonly [INTERNAL]: true; readonly type: 'saved'; readonly rev: number }
  | { readonly [INTERNAL]: true; readonly type: 'member-gone'; readonly id: string }

/** Tell the board that member `id` is down or left: its views get no more updates. */
export const memberGone = (id: string): Internal => ({ [INTERNAL]: true, type: 'member-gone', id })

const isInternal = (message: unknown): message is Internal =>
  typeof message === 'object' && message !== null && INTERNAL in message

const VIEW_ADDRESS = new RegExp(`^${VIEW_ACTOR}@[A-Za-z0-9_-]{1,64}$`)
const OP_ID = /^[A-Za-z0-9_-]{1,64}:\d{1,15}$/

export interface BoardActorOptions {
  /** What the store loaded, if anything. */
  initial: unknown
  store: SnapshotStore<PersistedBoard>
  log?: (line: string) => void
}

/**
 * `board@hub`: owns the board. Applies ops in arrival order (the last write
 * wins), tells every subscribed view about each one, and has the store write
 * the board after changes; once a write is on disk the views hear `saved`.
 *
 * A plain object, not a factory: if a handler ever threw, supervision would
 * restart the actor with its state kept, rather than with an empty board.
 */
export function boardBehavior(options: BoardActorOptions): Behavior {
  const { store, log = () => {} } = options
  const initial = restore(options.initial, log)
  const notes: Notes = new Map(initial.notes.map((note) => [note.id, note]))
  const deleted = new Set(initial.deleted)
  const applied = new Map(initial.applied)
  let rev = initial.rev
  let savedRev = initial.rev
  const views = new Set<string>()

  const persisted = (): PersistedBoard => ({
    version: 1,
    rev,
    notes: [...notes.values()],
    deleted: [...deleted],
    applied: [...applied],
  })

  const broadcast = (ctx: ActorContext, message: ToView): void => {
    for (const view of views) ctx.send(view, message, { ttlMs: VIEW_TTL_MS })
  }
  /** Every view hears who else is looking (tabs learn of each other here, not from the member table). */
  const tellTabs = (ctx: ActorContext): void =>
    broadcast(ctx, { type: 'tabs', tabs: [...views].map((view) => view.slice(view.indexOf('@') + 1)) })

  /** Makes room for one more in a bounded memory, forgetting the oldest entry. */
  const makeRoom = <T>(memory: Set<T> | Map<T, unknown>): void => {
    if (memory.size < MAX_REMEMBERED) return
    const oldest = memory.keys().next()
    if (oldest.done !== true) memory.delete(oldest.value)
  }

  return {
    receive(message, ctx) {
      if (isInternal(message)) {
        if (message.type === 'saved') {
          savedRev = Math.max(savedRev, message.rev)
          broadcast(ctx, { type: 'saved', rev: savedRev })
        } else {
          const before = views.size
          for (const view of views) if (view.endsWith(`@${message.id}`)) views.delete(view)
          if (views.size !== before) tellTabs(ctx)
        }
        return
      }
      const msg = message as Partial<ToBoard> | null
      switch (msg?.type) {
        case 'op': {
          const op = parseOp(msg.op)
          const opId = msg.opId
          if (op === undefined || typeof opId !== 'string' || !OP_ID.test(opId)) {
            log(`ignored a malformed op: ${JSON.stringify(message).slice(0, 200)}`)
            return
          }
          // a repeat (re-sent after a reconnect): its effect is in already
          if (applied.has(opId)) return
          applyOp(notes, op, { deleted, restore: true })
          if (op.kind === 'delete') {
            makeRoom(deleted)
            deleted.add(op.id)
          }
          rev++
          makeRoom(applied)
          applied.set(opId, rev)
          const note = notes.get(noteIdOf(op)) ?? null
          broadcast(ctx, { type: 'applied', rev, opId, op, by: opId.slice(0, opId.indexOf(':')), note })
          const self = ctx.self
          store.save(persisted).then(
            (written) => self.send({ [INTERNAL]: true, type: 'saved', rev: written.rev } satisfies Internal),
            () => {}, // reported by the store; the next change writes again
          )
          return
        }
        case 'subscribe': {
          const { view, nonce, known } = msg
          if (typeof view !== 'string' || !VIEW_ADDRESS.test(view) || typeof nonce !== 'number') return
          views.add(view)
          const answers: Record<string, number> = {}
          if (Array.isArray(known)) {
            for (const opId of known.slice(0, MAX_REMEMBERED)) {
              const at = typeof opId === 'string' ? applied.get(opId) : undefined
              if (at !== undefined) answers[opId as string] = at
            }
          }
          const snapshot: ToView = {
            type: 'snapshot',
            nonce,
            rev,
            savedRev,
            notes: [...notes.values()].sort((a, b) => a.z - b.z),
            applied: answers,
          }
          ctx.send(view, snapshot, { ttlMs: VIEW_TTL_MS })
          tellTabs(ctx)
          return
        }
        case 'unsubscribe':
          if (typeof msg.view === 'string' && views.delete(msg.view)) tellTabs(ctx)
          return
        default:
          log(`ignored a message that is not for the board: ${JSON.stringify(message).slice(0, 200)}`)
      }
    },
  }
}

/** The board from disk, checked note by note (a bad note is dropped, not fatal). */
function restore(value: unknown, log: (line: string) => void): PersistedBoard {
  const empty: PersistedBoard = { version: 1, rev: 0, notes: [], deleted: [], applied: [] }
  if (value === undefined) return empty
  const data = value as Partial<PersistedBoard>
  if (data.version !== 1 || !Array.isArray(data.notes)) {
    log('the saved board has an unknown format: starting with an empty board')
    return empty
  }
  const notes = data.notes.map(parseNote).filter((note): note is Note => note !== undefined)
  if (notes.length < data.notes.length) log(`dropped ${data.notes.length - notes.length} malformed notes`)
  const rev = typeof data.rev === 'number' && Number.isSafeInteger(data.rev) ? data.rev : 0
  const deleted = Array.isArray(data.deleted) ? data.deleted.filter((id) => typeof id === 'string') : []
  const applied = Array.isArray(data.applied)
    ? data.applied.filter(
        (entry): entry is [string, number] =>
          Array.isArray(entry) && typeof entry[0] === 'string' && typeof entry[1] === 'number',
      )
    : []
  return { version: 1, rev, notes, deleted, applied }
}
