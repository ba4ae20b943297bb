import type { EntityBehavior, EntityContext, EntityFactory } from '@troupe/node'
import { applyOp, type Note, noteIdOf, parseOp, randomId } from '../src/model.js'
import {
  type BoardSource,
  type OpReply,
  type ToBoard,
  type ToView,
  VIEW_ACTOR,
  VIEW_TTL_MS,
} from '../src/protocol.js'

/** The board as the entity keeps it in `ctx.state` (saved after every change, before the reply). */
export interface BoardState {
  /** Ops applied, ever. */
  rev: number
  notes: Map<string, Note>
  /** Ids of deleted notes, oldest first: an add that comes late must not revive one. */
  deleted: Set<string>
  /** The latest op ids applied, oldest first, with the revision each became: a repeat is not applied again. */
  ops: Map<string, number>
  /** The views that hear of every change, the one that subscribed longest ago first. */
  views: Set<string>
}

/**
 * What the board remembers, at most. Together they keep the saved state (and
 * a snapshot) well under the 256 KiB a message may be (`link.maxMessageBytes`).
 */
export const BOARD_LIMITS = {
  /** Deleted note ids (each ≤ 35 bytes). */
  tombstones: 1_000,
  /**
   * Op ids (each ≤ 80 bytes, with its revision). An op repeated after more
   * than this many others is applied again: its effect is the same (ops are
   * idempotent), but it counts as a revision twice.
   */
  opIds: 1_000,
  /** Subscribed views; past it, the one that subscribed longest ago is dropped. */
  views: 64,
  /** The whole state, measured as JSON: an op that would make it bigger is refused. */
  stateBytes: 160 * 1024,
} as const

/** Room kept for the op id and the tombstone an op adds, when checking its size. */
const OP_MARGIN_BYTES = 256
const VIEW_ADDRESS = new RegExp(`^${VIEW_ACTOR}@[A-Za-z0-9_-]{1,64}$`)
const OP_ID = /^[A-Za-z0-9_-]{1,64}:\d{1,15}$/

type Reply = OpReply | null
type BoardContext = EntityContext<ToBoard, Reply, Partial<BoardState>>

/** Options of {@link boardEntity}. */
export interface BoardEntityOptions {
  /** The node id of the hub it runs on: every update says where the board is. */
  host: string
  log?: (line: string) => void
}

/**
 * The board as an entity (`node.define('board', boardEntity(...))`): it
 * applies ops in arrival order, tells every subscribed view about each one,
 * and answers the op once it is saved. Its state (notes, tombstones, recent op
 * ids, subscribed views) is the entity's, so wherever it is activated next,
 * after a move or a failover, it carries on from the last saved change.
 *
 * Views hear of an op as it is applied, a moment before it is saved; if the
 * hub dies in between, the op's sender asks again (the runtime sends its ask
 * to the next owner) and the op is applied there.
 */
export function boardEntity(options: BoardEntityOptions): EntityFactory<ToBoard, Reply, Partial<BoardState>> {
  const { host, log = () => {} } = options
  return (key): EntityBehavior<ToBoard, Reply, Partial<BoardState>> => {
    const source: BoardSource = { host, activation: randomId(8) }
    return {
      started(ctx) {
        log(`board/${key} is active here (activation ${source.activation}, rev ${ctx.state.rev ?? 0})`)
      },
      stopped() {
        log(`board/${key} is no longer active here (activation ${source.activation})`)
      },
      receive(message, ctx) {
        const state = boardState(ctx.state)
        const msg = message as Partial<ToBoard> | null
        switch (msg?.type) {
          case 'op':
            ctx.reply(applyMessage(state, msg, source, ctx, log))
            return
          case 'subscribe': {
            const { view, nonce, known } = msg
            if (typeof view === 'string' && VIEW_ADDRESS.test(view) && typeof nonce === 'number') {
              remember(state.views, view, BOARD_LIMITS.views)
              ctx.send(view, snapshot(state, source, nonce, known), { ttlMs: VIEW_TTL_MS })
            }
            ctx.reply(null)
            return
          }
          case 'unsubscribe':
            if (typeof msg.view === 'string') state.views.delete(msg.view)
            ctx.reply(null)
            return
          default:
            log(`ignored a message that is not for the board: ${JSON.stringify(message).slice(0, 200)}`)
            ctx.reply(null)
        }
      },
    }
  }
}

/** `ctx.state` with every field there (a board never saved starts empty). */
function boardState(state: Partial<BoardState>): BoardState {
  state.rev ??= 0
  state.notes ??= new Map()
  state.deleted ??= new Set()
  state.ops ??= new Map()
  state.views ??= new Set()
  return state as BoardState
}

function applyMessage(
  state: BoardState,
  message: Partial<Extract<ToBoard, { type: 'op' }>>,
  source: BoardSource,
  ctx: BoardContext,
  log: (line: string) => void,
): Reply {
  const op = parseOp(message.op)
  const opId = message.opId
  if (op === undefined || typeof opId !== 'string' || !OP_ID.test(opId)) {
    log(`ignored a malformed op: ${JSON.stringify(message).slice(0, 200)}`)
    return null
  }
  // a repeat (sent again after a failover or a reconnect): its effect is in already
  const at = state.ops.get(opId)
  if (at !== undefined) return { rev: at, repeat: true }
  const id = noteIdOf(op)
  const before = state.notes.get(id)
  applyOp(state.notes, op, { deleted: state.deleted, restore: true })
  if (op.kind !== 'delete' && stateBytes(state) + OP_MARGIN_BYTES > BOARD_LIMITS.stateBytes) {
    if (before === undefined) state.notes.delete(id)
    else state.notes.set(id, before)
    return { rev: state.rev, refused: 'board-full' }
  }
  if (op.kind === 'delete') remember(state.deleted, op.id, BOARD_LIMITS.tombstones)
  const rev = ++state.rev
  remember(state.ops, opId, BOARD_LIMITS.opIds, rev)
  const applied: ToView = {
    type: 'applied',
    ...source,
    rev,
    opId,
    op,
    by: opId.slice(0, opId.indexOf(':')),
    note: state.notes.get(id) ?? null,
  }
  for (const view of state.views) ctx.send(view, applied, { ttlMs: VIEW_TTL_MS })
  return { rev }
}

function snapshot(state: BoardState, source: BoardSource, nonce: number, known: unknown): ToView {
  const applied: Record<string, number> = {}
  if (Array.isArray(known)) {
    for (const opId of known.slice(0, BOARD_LIMITS.opIds)) {
      const at = typeof opId === 'string' && OP_ID.test(opId) ? state.ops.get(opId) : undefined
      if (at !== undefined) applied[opId as string] = at
    }
  }
  return {
    type: 'snapshot',
    ...source,
    nonce,
    rev: state.rev,
    notes: [...state.notes.values()].sort((a, b) => a.z - b.z),
    applied,
  }
}

/** Adds `item` as the newest entry of a bounded memory (moving it there if present), forgetting the oldest past `limit`. */
function remember(memory: Set<string>, item: string, limit: number): void
function remember(memory: Map<string, number>, item: string, limit: number, value: number): void
function remember(memory: Set<string> | Map<string, number>, item: string, limit: number, value = 0): void {
  memory.delete(item)
  if (memory instanceof Map) memory.set(item, value)
  else memory.add(item)
  for (const oldest of memory.keys()) {
    if (memory.size <= limit) break
    memory.delete(oldest)
  }
}

/** The state's size as JSON bytes: above what the saved (msgpack) state takes. */
function stateBytes(state: BoardState): number {
  const json = JSON.stringify([
    state.rev,
    [...state.notes.values()],
    [...state.deleted],
    [...state.ops],
    [...state.views],
  ])
  return Buffer.byteLength(json)
}
