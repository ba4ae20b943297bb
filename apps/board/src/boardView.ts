import type { BoardClient } from './boardClient.js'
import type { DragPreview } from './cursors.js'
import { h } from './dom.js'
import { colourOf, type Identity } from './identity.js'
import { clampPosition, MAX_TEXT, NOTE, type Note, randomId, topZ } from './model.js'

/** Typing settles into an edit op after this much quiet (and at once on blur). */
const EDIT_DEBOUNCE_MS = 350
/** A press that moves less than this is a click, not a drag. */
const DRAG_THRESHOLD_PX = 3

/** Options of {@link createBoardView}. */
export interface BoardViewOptions {
  /** The board surface (board coordinates = CSS pixels from its top-left corner). */
  board: HTMLElement
  /** Where the notes go, inside the board. */
  layer: HTMLElement
  client: BoardClient
  identity: Identity
  /** Notes other tabs are dragging right now. */
  previews(): ReadonlyMap<string, DragPreview>
  /** This tab drags a note (or stopped): for the live preview in the other tabs. */
  onDrag(drag: { id: string; x: number; y: number } | undefined): void
}

/** The notes on screen: see {@link createBoardView}. */
export interface BoardView {
  /** Draws the board as the client shows it. */
  render(): void
  /** Adds an empty note centred near (x, y) in board coordinates, and puts the caret in it. */
  addNoteAt(x: number, y: number): void
}

interface NoteElement {
  root: HTMLElement
  author: HTMLElement
  text: HTMLTextAreaElement
  /** The edit waiting for typing to pause. */
  editTimer: ReturnType<typeof setTimeout> | undefined
}

interface Drag {
  id: string
  pointerId: number
  startX: number
  startY: number
  fromX: number
  fromY: number
  x: number
  y: number
  z: number
  moved: boolean
}

/** A small, stable tilt per note, so the board looks like paper, not a grid. */
function tiltOf(id: string): number {
  let hash = 0
  for (let i = 0; i < id.length; i++) hash = (hash * 31 + id.charCodeAt(i)) | 0
  return ((Math.abs(hash) % 7) - 3) * 0.3
}

/**
 * The notes: drawn from the client's board, keyed by id (elements are kept
 * and updated, never rebuilt, so a caret or a drag survives remote updates).
 * Drag by the note's top bar (pointer events: mouse, pen and touch), type in
 * it to edit, × to delete, double-click the board to add.
 */
export function createBoardView(options: BoardViewOptions): BoardView {
  const { board, layer, client, identity } = options
  const elements = new Map<string, NoteElement>()
  let drag: Drag | undefined

  const sendEdit = (id: string, element: NoteElement): void => {
    if (element.editTimer !== undefined) clearTimeout(element.editTimer)
    element.editTimer = undefined
    const note = client.notes().get(id)
    const text = element.text.value.slice(0, MAX_TEXT)
    if (note !== undefined && note.text !== text) client.edit(id, text)
  }

  const create = (note: Note): NoteElement => {
    const author = h('span', { class: 'note-author' })
    const remove = h('button', {
      class: 'note-delete',
      title: 'Delete note',
      attrs: { type: 'button', 'aria-label': 'Delete note' },
      dataset: { testid: 'delete-note' },
    })
    remove.innerHTML =
      '<svg width="14" height="14" viewBox="0 0 14 14" aria-hidden="true"><path d="M3 3l8 8M11 3l-8 8"/></svg>'
    const bar = h('div', { class: 'note-bar', dataset: { testid: 'note-grip' } }, author, remove)
    const text = h('textarea', {
      class: 'note-text',
      attrs: { placeholder: 'Write something…', maxlength: String(MAX_TEXT), 'aria-label': 'Note text' },
    })
    const root = h('div', { class: 'note', dataset: { id: note.id, testid: 'note' } }, bar, text)
    const element: NoteElement = { root, author, text, editTimer: undefined }

    text.addEventListener('input', () => {
      if (element.editTimer !== undefined) clearTimeout(element.editTimer)
      element.editTimer = setTimeout(() => sendEdit(note.id, element), EDIT_DEBOUNCE_MS)
    })
    text.addEventListener('blur', () => {
      sendEdit(note.id, element)
      render()
    })
    remove.addEventListener('click', () => {
      if (element.editTimer !== undefined) clearTimeout(element.editTimer)
      client.remove(note.id)
    })
    bar.addEventListener('pointerdown', (event) => {
      if (event.button !== 0 || drag !== undefined || (event.target as Element).closest('.note-delete'))
        return
      const current = client.notes().get(note.id)
      if (current === undefined) return
      event.preventDefault()
      bar.setPointerCapture(event.pointerId)
      drag = {
        id: note.id,
        pointerId: event.pointerId,
        startX: event.clientX,
        startY: event.clientY,
        fromX: current.x,
        fromY: current.y,
        x: current.x,
        y: current.y,
        z: topZ(client.notes()) + 1,
        moved: false,
      }
      root.classList.add('dragging')
      place(element, current, drag.x, drag.y, drag.z)
    })
    bar.addEventListener('pointermove', (event) => {
      if (drag?.id !== note.id || drag.pointerId !== event.pointerId) return
      const dx = event.clientX - drag.startX
      const dy = event.clientY - drag.startY
      if (!drag.moved && Math.hypot(dx, dy) < DRAG_THRESHOLD_PX) return
      drag.moved = true
      const to = clampPosition(drag.fromX + dx, drag.fromY + dy)
      drag.x = to.x
      drag.y = to.y
      const current = client.notes().get(note.id)
      if (current !== undefined) place(element, current, drag.x, drag.y, drag.z)
      options.onDrag({ id: note.id, x: drag.x, y: drag.y })
    })
    const endDrag = (event: PointerEvent): void => {
      if (drag?.id !== note.id || drag.pointerId !== event.pointerId) return
      const ended = drag
      drag = undefined
      root.classList.remove('dragging')
      options.onDrag(undefined)
      if (ended.moved && event.type === 'pointerup') {
        client.move(note.id, ended.x, ended.y, ended.z)
      } else {
        render()
      }
    }
    bar.addEventListener('pointerup', endDrag)
    bar.addEventListener('pointercancel', endDrag)
    layer.append(root)
    return element
  }

  const place = (element: NoteElement, note: Note, x: number, y: number, z: number): void => {
    const { root } = element
    root.style.transform = `translate(${x}px, ${y}px) rotate(${tiltOf(note.id)}deg)`
    root.style.zIndex = String(z)
    root.dataset.x = String(x)
    root.dataset.y = String(y)
  }

  const render = (): void => {
    const notes = client.notes()
    const previews = options.previews()
    for (const [id, element] of elements) {
      if (notes.has(id)) continue
      if (element.editTimer !== undefined) clearTimeout(element.editTimer)
      element.root.remove()
      elements.delete(id)
      if (drag?.id === id) drag = undefined
    }
    for (const note of notes.values()) {
      let element = elements.get(note.id)
      if (element === undefined) {
        element = create(note)
        elements.set(note.id, element)
      }
      const { root, text, author } = element
      const colour = colourOf(note.color)
      root.style.setProperty('--paper', colour.paper)
      root.style.setProperty('--ink', colour.ink)
      if (author.textContent !== note.author) author.textContent = note.author
      // the text being typed is this tab's to change; it is sent when typing pauses
      if (document.activeElement !== text && text.value !== note.text) text.value = note.text
      const preview = previews.get(note.id)
      if (drag?.id === note.id) {
        place(element, note, drag.x, drag.y, drag.z)
      } else if (preview !== undefined) {
        place(element, note, preview.x, preview.y, topZ(notes) + 1)
      } else {
        place(element, note, note.x, note.y, note.z)
      }
      root.classList.toggle('remote-drag', preview !== undefined && drag?.id !== note.id)
      if (preview !== undefined) root.style.setProperty('--peer', colourOf(preview.by.color).ink)
    }
  }

  board.addEventListener('dblclick', (event) => {
    if (event.target !== board && event.target !== layer) return
    const rect = board.getBoundingClientRect()
    addNoteAt(event.clientX - rect.left, event.clientY - rect.top)
  })

  const addNoteAt = (x: number, y: number): void => {
    const at = clampPosition(x - NOTE.width / 2, y - 24)
    const id = `n-${randomId(10)}`
    client.add({
      id,
      text: '',
      ...at,
      z: topZ(client.notes()) + 1,
      color: identity.color,
      author: identity.name,
    })
    elements.get(id)?.text.focus({ preventScroll: true })
  }

  return { render, addNoteAt }
}
