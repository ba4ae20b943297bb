import type { Node } from '@troupe/browser'
import { h } from './dom.js'
import { colourOf, type Identity } from './identity.js'
import { BOARD, isNoteId } from './model.js'
import { address, PRESENCE_ACTOR, PRESENCE_GROUP, PRESENCE_TTL_MS, type PresenceMessage } from './protocol.js'

/** At most this many cursor messages a second to each peer. */
const SENDS_PER_SECOND = 20
/** A cursor that has not moved for this long fades away. */
const IDLE_MS = 10_000
/** A drag preview with no news for this long is dropped (the move op has landed, or the peer is gone). */
const PREVIEW_MS = 1_500

/** Another tab, as this one knows it from its presence messages. */
export interface Peer {
  readonly id: string
  readonly name: string
  readonly color: string
}

/** A note another tab is dragging, where it is now. */
export interface DragPreview {
  readonly x: number
  readonly y: number
  readonly by: Peer
}

/** Options of {@link createPresence}. */
export interface PresenceOptions {
  node: Node
  identity: Identity
  /** The board surface: pointer positions are taken relative to it. */
  board: HTMLElement
  /** Where the other tabs' cursors are drawn, in board coordinates. */
  layer: HTMLElement
}

/** The tab's presence: see {@link createPresence}. */
export interface Presence {
  /** A message for `presence@<this tab>`. */
  receive(message: unknown): void
  /** This tab is dragging a note (or stopped): the others see it move live. */
  setDrag(drag: { id: string; x: number; y: number } | undefined): void
  /** The other tabs on the board (in the presence group) that this one knows by name. */
  peers(): Peer[]
  /** Notes being dragged in other tabs, by note id. */
  previews(): ReadonlyMap<string, DragPreview>
  /** A drag preview ends early: the move op it led to has been applied. */
  dropPreview(noteId: string): void
  /** Peers or previews changed. */
  onChange(listener: () => void): () => void
}

interface RemoteCursor {
  peer: Peer
  element: HTMLElement
  label: HTMLElement
  movedAt: number
  x: number | undefined
  y: number | undefined
}

/**
 * Live cursors through a group: every tab's `presence` actor is in the group
 * {@link PRESENCE_GROUP}, and a tab broadcasts its pointer (throttled) to it;
 * the hubs relay. What comes in is drawn as named, coloured cursors. The
 * group's members are the tabs on the board: one that joins is greeted (it
 * learns this tab's name at once), one that leaves or is down loses its cursor.
 */
export function createPresence(options: PresenceOptions): Presence {
  const { node, identity, board, layer } = options
  const group = node.group<PresenceMessage>(PRESENCE_GROUP)
  /** The other tabs in the group, as last seen. */
  let members = new Set<string>()
  const cursors = new Map<string, RemoteCursor>()
  const previews = new Map<string, DragPreview & { at: number; from: string }>()
  const listeners = new Set<() => void>()
  let pointer: { x: number; y: number } | undefined
  let drag: { id: string; x: number; y: number } | undefined
  let lastSent = 0
  let trailing: ReturnType<typeof setTimeout> | undefined

  const changed = (): void => {
    for (const listener of listeners) listener()
  }

  const message = (): PresenceMessage => ({
    from: node.id,
    name: identity.name,
    color: identity.color,
    ...(pointer ?? {}),
    ...(drag === undefined ? {} : { drag }),
  })

  const sendNow = (): void => {
    lastSent = performance.now()
    // offline, a cursor would only wait in the queue and expire: it is worth nothing later
    if (node.connectionState !== 'online') return
    // to every member, this tab's own presence actor included (it ignores its own)
    group.broadcast(message(), { ttlMs: PRESENCE_TTL_MS })
  }

  /** Tells a tab that just joined who this one is (its avatar shows before this pointer moves). */
  const greet = (peerId: string): void => {
    if (node.connectionState !== 'online') return
    node.send(address(PRESENCE_ACTOR, peerId), message(), { ttlMs: PRESENCE_TTL_MS })
  }

  const schedule = (): void => {
    if (trailing !== undefined) return
    const wait = lastSent + 1_000 / SENDS_PER_SECOND - performance.now()
    if (wait <= 0) sendNow()
    else
      trailing = setTimeout(() => {
        trailing = undefined
        sendNow()
      }, wait)
  }

  const toBoard = (event: PointerEvent): { x: number; y: number } => {
    const rect = board.getBoundingClientRect()
    return {
      x: Math.round(Math.min(Math.max(event.clientX - rect.left, 0), BOARD.width)),
      y: Math.round(Math.min(Math.max(event.clientY - rect.top, 0), BOARD.height)),
    }
  }
  board.addEventListener('pointermove', (event) => {
    pointer = toBoard(event)
    schedule()
  })
  board.addEventListener('pointerleave', (event) => {
    // a touch ends with a leave; keep the last spot for touch, so the others see where it was
    if (event.pointerType !== 'mouse') return
    pointer = undefined
    schedule()
  })

  const remove = (id: string): void => {
    const cursor = cursors.get(id)
    if (cursor === undefined) return
    cursor.element.remove()
    cursors.delete(id)
    for (const [noteId, preview] of previews) if (preview.from === id) previews.delete(noteId)
    changed()
  }

  const draw = (cursor: RemoteCursor): void => {
    const { element, x, y } = cursor
    const visible = x !== undefined && y !== undefined && performance.now() - cursor.movedAt < IDLE_MS
    element.classList.toggle('hidden', !visible)
    if (x !== undefined && y !== undefined) {
      element.style.transform = `translate(${x}px, ${y}px)`
      element.dataset.x = String(x)
      element.dataset.y = String(y)
    }
  }

  /** Greets the tabs that joined the group, and drops the cursors of those that are no longer in it. */
  const followMembers = (): void => {
    const now = new Set(group.members().map((ref) => ref.nodeId))
    now.delete(node.id)
    const joined = [...now].filter((id) => !members.has(id))
    const gone = [...members].filter((id) => !now.has(id))
    if (joined.length === 0 && gone.length === 0) return
    members = now
    for (const id of joined) greet(id)
    for (const id of gone) remove(id)
    changed()
  }

  // the group's members change as tabs come and go; idle cursors fade, stale previews go
  setInterval(() => {
    followMembers()
    const now = performance.now()
    for (const cursor of cursors.values()) draw(cursor)
    let stale = false
    for (const [noteId, preview] of previews) {
      if (now - preview.at > PREVIEW_MS) {
        previews.delete(noteId)
        stale = true
      }
    }
    if (stale) changed()
  }, 500)

  return {
    receive(raw) {
      const msg = raw as Partial<PresenceMessage> | null
      if (typeof msg?.from !== 'string' || msg.from === node.id || typeof msg.name !== 'string') return
      const peer: Peer = { id: msg.from, name: msg.name.slice(0, 40), color: colourOf(String(msg.color)).key }
      let cursor = cursors.get(peer.id)
      let known = true
      if (cursor === undefined) {
        known = false
        const label = h('span', { class: 'cursor-name' })
        const element = h('div', { class: 'cursor hidden', dataset: { peer: peer.id, testid: 'cursor' } })
        element.innerHTML =
          '<svg width="18" height="20" viewBox="0 0 18 20" aria-hidden="true"><path d="M1.5 1.5 L16 9.2 L9.2 10.8 L5.6 17.6 Z" /></svg>'
        element.append(label)
        layer.append(element)
        cursor = { peer, element, label, movedAt: 0, x: undefined, y: undefined }
        cursors.set(peer.id, cursor)
      }
      if (!known || cursor.peer.name !== peer.name || cursor.peer.color !== peer.color) {
        cursor.peer = peer
        cursor.label.textContent = peer.name
        cursor.element.style.setProperty('--ink', colourOf(peer.color).ink)
        known = false
      }
      const { x, y } = msg
      if (typeof x === 'number' && typeof y === 'number') {
        if (x !== cursor.x || y !== cursor.y) cursor.movedAt = performance.now()
        cursor.x = x
        cursor.y = y
      } else {
        cursor.x = undefined
        cursor.y = undefined
      }
      draw(cursor)

      // a preview whose drag ended stays until the move op lands (dropPreview) or it goes stale
      let previewsChanged = false
      const d = msg.drag
      if (d !== undefined && isNoteId(d.id) && typeof d.x === 'number' && typeof d.y === 'number') {
        previews.set(d.id, { x: d.x, y: d.y, by: peer, at: performance.now(), from: peer.id })
        previewsChanged = true
      }
      if (!known || previewsChanged) changed()
    },
    setDrag(next) {
      drag = next
      if (next === undefined) sendNow()
      else schedule()
    },
    peers: () => [...cursors.values()].filter((c) => members.has(c.peer.id)).map((c) => c.peer),
    previews: () => previews,
    dropPreview(noteId) {
      if (previews.delete(noteId)) changed()
    },
    onChange(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}
