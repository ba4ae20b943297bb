import {
  applyOp,
  latestCounter,
  type Note,
  type Notes,
  noteIdOf,
  type Op,
  parseNote,
  parseOp,
  type Stamp,
} from './model.js'
import {
  type BoardSource,
  OP_TTL_MS,
  type OpReply,
  SUBSCRIBE_TIMEOUT_MS,
  type ToBoard,
  type ToView,
} from './protocol.js'

/** An op this tab made, kept until the board has saved it. */
interface JournalEntry {
  readonly opId: string
  readonly op: Op
  /** When it was (last) sent, in this tab's send order (subscribes count too). */
  sentSeq: number
  /** Asks of it in flight (it is sent again when a snapshot lacks it). */
  asks: number
  /** The board's copy of this tab's board has it (an update or a snapshot said so). */
  applied: boolean
  /** The board answered: it is saved. */
  saved: boolean
}

/** Options of {@link createBoardClient}. */
export interface BoardClientOptions {
  /** This tab's node id: op ids are `<tabId>:<n>`. */
  tabId: string
  /** This tab's view actor, where the board sends its updates. */
  view: string
  /** Asks the board entity; resolves with its reply, rejects if the ask failed. */
  ask(message: ToBoard, timeoutMs: number): Promise<unknown>
  /** Whether the tab is linked to a hub now (a failed subscribe is tried again only then). */
  online(): boolean
}

/** What changed, for whoever draws the board. */
export interface BoardChange {
  /** An op the board applied, from any tab. */
  readonly applied?: { readonly op: Op; readonly by: string }
  /** An op of this tab the board refused (it is full): it is undone here. */
  readonly refused?: Op
}

/** Where the board was, and since when (as this tab heard). */
export interface BoardStay {
  readonly host: string
  readonly since: number
}

/** The tab's copy of the board: see {@link createBoardClient}. */
export interface BoardClient {
  /** The board as this tab shows it: the board's notes, plus this tab's ops it has not applied yet. */
  notes(): Notes
  /** Adds a note (its stamps are set here). Each change shows here at once and goes to the board. */
  add(note: Omit<Note, 'textStamp' | 'posStamp'>): void
  edit(id: string, text: string): void
  /** Moves a note to (x, y), at stacking level z. */
  move(id: string, x: number, y: number, z: number): void
  remove(id: string): void
  /**
   * Asks the board for a snapshot and for every update after it. Call on start and whenever the
   * board may have moved (the tab is back online, a hub went down or left).
   */
  subscribe(): void
  /** A message for the view actor. */
  receive(message: unknown): void
  /** This tab's ops the board has not saved yet (made offline, or on their way). */
  readonly waiting: number
  /** Ops made by this tab so far. */
  readonly made: number
  /** Times this tab sent an op again because a snapshot lacked it. */
  readonly resent: number
  /** The board's revision, as last heard. */
  readonly rev: number
  /** Whether a snapshot has arrived (the board shown is the board's). */
  readonly synced: boolean
  /** Where the board is now, as last heard (the hub it is active on, and its activation). */
  readonly source: BoardSource | undefined
  /** The hubs the board was on, oldest first (the last few). */
  readonly stays: readonly BoardStay[]
  onChange(listener: (change: BoardChange) => void): () => void
}

/** Stays of the board kept for the panel. */
const MAX_STAYS = 6
/** A failed subscribe is tried again after this, doubling up to {@link MAX_RETRY_MS}. */
const FIRST_RETRY_MS = 500
const MAX_RETRY_MS = 8_000

/**
 * The tab's copy of the board. It shows the board with this tab's own ops
 * applied on top until the board has applied them (optimistic), so an edit
 * shows at once, online or not.
 *
 * Every op is an ask to the board entity, kept in a journal until it is
 * answered (saved). The runtime sends an ask that was in flight to a hub
 * that died on to the board's next hub; on top of that, whenever a snapshot
 * comes (after every subscribe: at start, after a reconnect, after the board
 * moved), each journal op is checked against it: one the board has is
 * settled; one sent before the subscribe that the board does not have, or
 * whose ask failed, is sent again. The board ignores an op id it has applied
 * already, and ops commute (model.ts), so sending again, in whatever order
 * the tabs come back, is safe.
 *
 * Updates come from one activation of the board at a time: one from another
 * activation (the board moved), or one that skips a revision (this tab missed
 * one), makes the tab subscribe again, for a fresh snapshot.
 */
export function createBoardClient(options: BoardClientOptions): BoardClient {
  const { tabId, view } = options
  let confirmed: Notes = new Map()
  let journal: JournalEntry[] = []
  let sendSeq = 0
  let opCounter = 0
  let resent = 0
  let rev = 0
  let lastNonce = 0
  let synced = false
  let source: BoardSource | undefined
  let stays: BoardStay[] = []
  let shown: Notes | undefined
  let subscribing = false
  let subscribeAgain = false
  let retryMs = FIRST_RETRY_MS
  let retryTimer: ReturnType<typeof setTimeout> | undefined
  /** The Lamport clock: above every stamp this tab has seen. */
  let clock = 0
  const stamp = (): Stamp => [++clock, tabId]
  const observe = (note: Note): Note => {
    clock = Math.max(clock, latestCounter(note))
    return note
  }
  const listeners = new Set<(change: BoardChange) => void>()

  const changed = (change: BoardChange = {}): void => {
    shown = undefined
    for (const listener of listeners) listener(change)
  }

  const settle = (entry: JournalEntry): void => {
    journal = journal.filter((other) => other !== entry)
  }

  const sendOp = (entry: JournalEntry): void => {
    entry.sentSeq = ++sendSeq
    entry.asks++
    options.ask({ type: 'op', opId: entry.opId, op: entry.op }, OP_TTL_MS).then(
      (reply) => {
        entry.asks--
        const answer = reply as OpReply | null
        if (answer?.refused !== undefined) {
          settle(entry)
          changed({ refused: entry.op })
          return
        }
        entry.saved = true
        if (entry.applied) settle(entry)
        // saved, but this tab has not had the update: its view missed it (the board moved); a snapshot will have it
        else subscribe()
        changed()
      },
      () => {
        entry.asks--
        // not answered (offline too long, no hub): sent again when a snapshot lacks it
        if (entry.asks === 0 && !entry.saved && options.online()) retryLater()
      },
    )
  }

  const subscribe = (): void => {
    if (retryTimer !== undefined) clearTimeout(retryTimer)
    retryTimer = undefined
    if (subscribing) {
      subscribeAgain = true
      return
    }
    subscribing = true
    const message: ToBoard = {
      type: 'subscribe',
      view,
      nonce: ++sendSeq,
      known: journal.map((entry) => entry.opId),
    }
    options.ask(message, SUBSCRIBE_TIMEOUT_MS).then(
      () => subscribed(true),
      () => subscribed(false),
    )
  }

  const subscribed = (ok: boolean): void => {
    subscribing = false
    if (subscribeAgain) {
      subscribeAgain = false
      subscribe()
    } else if (!ok && options.online()) retryLater()
    else if (ok) retryMs = FIRST_RETRY_MS
  }

  const retryLater = (): void => {
    if (retryTimer !== undefined || subscribing) return
    retryTimer = setTimeout(subscribe, retryMs)
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS)
  }

  const onSnapshot = (message: Extract<ToView, { type: 'snapshot' }>): void => {
    // an answer to an older subscribe, overtaken (from a board that has moved since)
    if (message.nonce < lastNonce) return
    lastNonce = message.nonce
    const notes = Array.isArray(message.notes) ? message.notes : []
    confirmed = new Map(
      notes
        .map(parseNote)
        .flatMap((note): Array<[string, Note]> => (note === undefined ? [] : [[note.id, observe(note)]])),
    )
    rev = message.rev
    synced = true
    moved({ host: message.host, activation: message.activation })
    const applied = message.applied ?? {}
    for (const entry of [...journal]) {
      if (entry.saved || applied[entry.opId] !== undefined) {
        entry.applied = true
        if (entry.saved || entry.asks === 0) settle(entry)
      }
      // sent before the subscribe, or its ask failed: the board would have it by now; send it again
      else if (entry.sentSeq < message.nonce || entry.asks === 0) {
        resent++
        sendOp(entry)
      }
      // else: sent after the subscribe, still on its way
    }
    changed()
  }

  const moved = (next: BoardSource): void => {
    source = next
    if (stays.at(-1)?.host === next.host) return
    stays = [...stays, { host: next.host, since: Date.now() }].slice(-MAX_STAYS)
  }

  const onApplied = (message: Extract<ToView, { type: 'applied' }>): void => {
    const op = parseOp(message.op)
    if (op === undefined) return
    if (message.activation !== source?.activation) {
      // the board moved (or was passivated and woke up): start over from its snapshot
      subscribe()
      return
    }
    const mine = journal.find((entry) => entry.opId === message.opId)
    if (mine !== undefined) {
      mine.applied = true
      if (mine.saved) settle(mine)
    }
    if (message.rev <= rev) return // in the snapshot already
    if (message.rev > rev + 1) subscribe() // an update went missing: catch up
    rev = message.rev
    // the board says what the note is now: its word, whatever the op would have done here
    const id = noteIdOf(op)
    const note = message.note === null ? undefined : parseNote(message.note)
    if (note === undefined) confirmed.delete(id)
    else confirmed.set(id, observe(note))
    changed({ applied: { op, by: message.by } })
  }

  const notesShown = (): Notes => {
    if (shown === undefined) {
      shown = new Map(confirmed)
      for (const entry of journal) if (!entry.applied) applyOp(shown, entry.op)
    }
    return shown
  }

  const perform = (op: Op): void => {
    const entry: JournalEntry = {
      opId: `${tabId}:${++opCounter}`,
      op,
      sentSeq: 0,
      asks: 0,
      applied: false,
      saved: false,
    }
    journal.push(entry)
    sendOp(entry)
    changed()
  }

  return {
    notes: notesShown,
    add(fields) {
      const at = stamp()
      perform({ kind: 'add', note: { ...fields, textStamp: at, posStamp: at } })
    },
    edit(id, text) {
      const note = notesShown().get(id)
      if (note !== undefined && note.text !== text)
        perform({ kind: 'edit', note: { ...note, text, textStamp: stamp() } })
    },
    move(id, x, y, z) {
      const note = notesShown().get(id)
      if (note !== undefined) perform({ kind: 'move', note: { ...note, x, y, z, posStamp: stamp() } })
    },
    remove(id) {
      perform({ kind: 'delete', id })
    },
    subscribe,
    receive(message) {
      const msg = message as ToView | null
      switch (msg?.type) {
        case 'snapshot':
          onSnapshot(msg)
          return
        case 'applied':
          onApplied(msg)
          return
        default:
          console.warn('view: ignored an unknown message', message)
      }
    },
    get waiting() {
      return journal.length
    },
    get made() {
      return opCounter
    },
    get resent() {
      return resent
    },
    get rev() {
      return rev
    },
    get synced() {
      return synced
    },
    get source() {
      return source
    },
    get stays() {
      return stays
    },
    onChange(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}
