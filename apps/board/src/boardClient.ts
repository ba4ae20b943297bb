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
import type { ToBoard, ToView } from './protocol.js'

/** An op this tab made, kept until the hub has it on disk. */
interface JournalEntry {
  readonly opId: string
  readonly op: Op
  /** When it was (last) sent, in this tab's send order (subscribes count too). */
  sentSeq: number
  /** The board revision it became, once the hub applied it. */
  rev: number | undefined
}

export interface BoardClientOptions {
  /** This tab's node id: op ids are `<tabId>:<n>`. */
  tabId: string
  /** This tab's view actor, where the hub sends board updates. */
  view: string
  /** Sends to `board@hub` (with a long TTL: ops made offline wait for the hub). */
  send(message: ToBoard): void
}

/** What changed, for whoever draws the board. */
export interface BoardChange {
  /** An op the hub applied, from any tab. */
  readonly applied?: { readonly op: Op; readonly by: string }
}

export interface BoardClient {
  /** The board as this tab shows it: the hub's board, plus this tab's ops the hub has not applied yet. */
  notes(): Notes
  /** Adds a note (its stamps are set here). Each change shows here at once and goes to the hub. */
  add(note: Omit<Note, 'textStamp' | 'posStamp'>): void
  edit(id: string, text: string): void
  /** Moves a note to (x, y), at stacking level z. */
  move(id: string, x: number, y: number, z: number): void
  remove(id: string): void
  /** Asks the hub for a snapshot and for every update after it. Call on start and whenever the tab is back online. */
  subscribe(): void
  /** A message for the view actor. */
  receive(message: unknown): void
  /** This tab's ops not applied by the hub yet (made offline, or on their way). */
  readonly waiting: number
  /** This tab's ops the hub applied but has not written to disk yet. */
  readonly unsaved: number
  /** The hub's revision and saved revision, as last heard. */
  readonly rev: number
  readonly savedRev: number
  /** Whether a snapshot has arrived (the board shown is the hub's). */
  readonly synced: boolean
  /** The other tabs viewing the board, as the hub last said. */
  readonly tabs: readonly string[]
  onChange(listener: (change: BoardChange) => void): () => void
}

/**
 * The tab's copy of the board. It shows the hub's board with this tab's own
 * ops applied on top until the hub has applied them (optimistic), so an edit
 * shows at once, online or not.
 *
 * Every op is kept in a journal until the hub reports it *saved*. When a
 * snapshot comes (after every subscribe: at start, after a reconnect, after a
 * hub restart), each journal op is checked against it: one the hub has is
 * settled; one sent before the subscribe that the hub does not have was lost
 * (the hub died after taking it but before writing it) and is sent again. The
 * hub ignores an op id it has already applied, and ops commute (model.ts),
 * so sending again, in whatever order the tabs come back, is safe.
 */
export function createBoardClient(options: BoardClientOptions): BoardClient {
  const { tabId, view, send } = options
  let confirmed: Notes = new Map()
  let journal: JournalEntry[] = []
  let sendSeq = 0
  let opCounter = 0
  let rev = 0
  let savedRev = 0
  let synced = false
  let tabs: readonly string[] = []
  let shown: Notes | undefined
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

  const sendOp = (entry: JournalEntry): void => {
    entry.sentSeq = ++sendSeq
    entry.rev = undefined
    send({ type: 'op', opId: entry.opId, op: entry.op })
  }

  const dropSaved = (): void => {
    journal = journal.filter((entry) => entry.rev === undefined || entry.rev > savedRev)
  }

  const onSnapshot = (message: Extract<ToView, { type: 'snapshot' }>): void => {
    const notes = Array.isArray(message.notes) ? message.notes : []
    confirmed = new Map(
      notes
        .map(parseNote)
        .flatMap((note): Array<[string, Note]> => (note === undefined ? [] : [[note.id, observe(note)]])),
    )
    rev = message.rev
    savedRev = message.savedRev
    synced = true
    const applied = message.applied ?? {}
    for (const entry of journal) {
      const at = applied[entry.opId]
      if (at !== undefined) entry.rev = at
      // sent before the subscribe, so the hub would have it: it was lost with a hub that died
      else if (entry.sentSeq < message.nonce) sendOp(entry)
      // else: sent after the subscribe, still on its way
    }
    dropSaved()
    changed()
  }

  const onApplied = (message: Extract<ToView, { type: 'applied' }>): void => {
    const op = parseOp(message.op)
    if (op === undefined) return
    // the hub says what the note is now: its word, whatever the op would have done here
    const id = noteIdOf(op)
    const note = message.note === null ? undefined : parseNote(message.note)
    if (note === undefined) confirmed.delete(id)
    else confirmed.set(id, observe(note))
    rev = Math.max(rev, message.rev)
    const mine = journal.find((entry) => entry.opId === message.opId)
    if (mine !== undefined) mine.rev = message.rev
    changed({ applied: { op, by: message.by } })
  }

  const notesShown = (): Notes => {
    if (shown === undefined) {
      shown = new Map(confirmed)
      for (const entry of journal) if (entry.rev === undefined) applyOp(shown, entry.op)
    }
    return shown
  }

  const perform = (op: Op): void => {
    const entry: JournalEntry = { opId: `${tabId}:${++opCounter}`, op, sentSeq: 0, rev: undefined }
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
    subscribe() {
      send({ type: 'subscribe', view, nonce: ++sendSeq, known: journal.map((entry) => entry.opId) })
    },
    receive(message) {
      const msg = message as ToView | null
      switch (msg?.type) {
        case 'snapshot':
          onSnapshot(msg)
          return
        case 'applied':
          onApplied(msg)
          return
        case 'saved':
          savedRev = Math.max(savedRev, msg.rev)
          dropSaved()
          changed()
          return
        case 'tabs':
          tabs = Array.isArray(msg.tabs)
            ? msg.tabs.filter((id) => typeof id === 'string' && id !== tabId)
            : []
          changed()
          return
        default:
          console.warn('view: ignored an unknown message', message)
      }
    },
    get waiting() {
      return journal.filter((entry) => entry.rev === undefined).length
    },
    get unsaved() {
      return journal.filter((entry) => entry.rev !== undefined).length
    },
    get rev() {
      return rev
    },
    get savedRev() {
      return savedRev
    },
    get synced() {
      return synced
    },
    get tabs() {
      return tabs
    },
    onChange(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}
