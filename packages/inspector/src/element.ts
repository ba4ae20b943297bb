import type { Node } from '@troupe/core'
import { type DeadLetterLog, watchDeadLetters } from './deadLetterLog.js'
import { escapeHtml as e } from './format.js'
import { INSPECTOR_ACTOR, type InspectorRequest, type NodeView } from './protocol.js'
import { DEFAULT_ROWS, readNode } from './readNode.js'
import { renderView } from './render.js'
import { STYLES } from './styles.js'

/** Which views the inspector shows: the node it is given, its hub (asked), or both. */
export type InspectorSource = 'both' | 'self' | 'hub'

/**
 * The `<troupe-inspector>` element (see {@link defineInspector}). Give it a
 * node (`element.node = tab`); it shows that node and, by asking the
 * `troupe.inspector` actor of its hub, the hub, refreshed every `refreshMs`
 * while it is in the document, not `paused` and the page is visible.
 *
 * Attributes: `source` (`both`, `self`, `hub`), `hub` (the hub's node id;
 * default: the hub the node is linked to), `refresh-ms` (default 1000),
 * `limit` (rows of each kind, default 50), `paused`.
 */
export interface TroupeInspector extends HTMLElement {
  node: Node | undefined
  hub: string | undefined
  source: InspectorSource
  refreshMs: number
  limit: number
  paused: boolean
  /** Reads the node, and asks the hub, now. */
  refresh(): Promise<void>
}

/** The default tag name. */
export const INSPECTOR_TAG = 'troupe-inspector'

interface Pane {
  readonly section: HTMLElement
  readonly title: HTMLElement
  readonly note: HTMLElement
  readonly body: HTMLElement
  previous: NodeView | undefined
}

/**
 * Defines the inspector element under `tagName` (once; later calls return the
 * same class) and returns its class. Call it in the browser before using the
 * tag: importing this package defines nothing by itself.
 *
 * @example
 * ```ts
 * import { defineInspector } from '@troupe/inspector'
 * defineInspector()
 * const inspector = document.createElement('troupe-inspector')
 * inspector.node = tab // a node from @troupe/browser's createNode
 * document.body.append(inspector)
 * ```
 */
export function defineInspector(tagName: string = INSPECTOR_TAG): new () => TroupeInspector {
  const existing = customElements.get(tagName)
  if (existing !== undefined) return existing as unknown as new () => TroupeInspector

  class Inspector extends HTMLElement implements TroupeInspector {
    static readonly observedAttributes = ['source', 'hub', 'refresh-ms', 'limit', 'paused']
    #node: Node | undefined
    #log: DeadLetterLog | undefined
    #timer: ReturnType<typeof setTimeout> | undefined
    #asking = false
    #self: Pane | undefined
    #hub: Pane | undefined
    readonly #root: HTMLElement

    constructor() {
      super()
      const shadow = this.attachShadow({ mode: 'open' })
      shadow.innerHTML = `<style>${STYLES}</style><div part="root"></div>`
      this.#root = shadow.lastElementChild as HTMLElement
    }

    get node(): Node | undefined {
      return this.#node
    }
    set node(node: Node | undefined) {
      if (node === this.#node) return
      this.#unwatch()
      this.#node = node
      if (this.isConnected) this.#watch()
      this.#layout()
    }
    get hub(): string | undefined {
      return this.getAttribute('hub') ?? undefined
    }
    set hub(id: string | undefined) {
      if (id === undefined) this.removeAttribute('hub')
      else this.setAttribute('hub', id)
    }
    get source(): InspectorSource {
      const value = this.getAttribute('source')
      return value === 'self' || value === 'hub' ? value : 'both'
    }
    set source(value: InspectorSource) {
      this.setAttribute('source', value)
    }
    get refreshMs(): number {
      return positive(this.getAttribute('refresh-ms'), 1_000)
    }
    set refreshMs(ms: number) {
      this.setAttribute('refresh-ms', String(ms))
    }
    get limit(): number {
      return positive(this.getAttribute('limit'), DEFAULT_ROWS)
    }
    set limit(rows: number) {
      this.setAttribute('limit', String(rows))
    }
    get paused(): boolean {
      return this.hasAttribute('paused')
    }
    set paused(value: boolean) {
      this.toggleAttribute('paused', value)
    }

    connectedCallback(): void {
      this.#watch()
      this.#layout()
    }
    disconnectedCallback(): void {
      this.#stopTimer()
      this.#unwatch()
    }
    attributeChangedCallback(name: string, before: string | null, after: string | null): void {
      if (before === after) return
      if (name === 'source' || name === 'hub') this.#layout()
      else this.#schedule(0)
    }

    async refresh(): Promise<void> {
      this.#refreshSelf()
      await this.#refreshHub()
    }

    /** Keeps the node's dead letters from now on, while the element is in the document. */
    #watch(): void {
      if (this.#node !== undefined && this.#log === undefined) this.#log = watchDeadLetters(this.#node)
    }

    #unwatch(): void {
      this.#log?.stop()
      this.#log = undefined
    }

    /** Builds the panes the source asks for, then refreshes. */
    #layout(): void {
      const node = this.#node
      const source = this.source
      // a hub node's own view is the hub's: no second pane asking itself, unless another hub is named
      const showHub =
        source !== 'self' &&
        node !== undefined &&
        (node.members()[0]?.role !== 'hub' || this.hub !== undefined)
      this.#root.replaceChildren()
      this.#self = source === 'hub' || node === undefined ? undefined : this.#pane('self')
      this.#hub = showHub ? this.#pane('hub') : undefined
      if (node === undefined) this.#root.innerHTML = '<p class="note" part="note">no node given</p>'
      this.#schedule(0)
    }

    #pane(kind: 'self' | 'hub'): Pane {
      const section = document.createElement('section')
      section.setAttribute('part', 'section')
      section.dataset.testid = `inspector-${kind}`
      section.dataset.section = kind
      section.innerHTML =
        '<header part="heading"><h3></h3></header><p class="note" part="note"></p><div class="body"></div>'
      this.#root.append(section)
      const pane: Pane = {
        section,
        title: section.querySelector('h3') as HTMLElement,
        note: section.querySelector('.note') as HTMLElement,
        body: section.querySelector('.body') as HTMLElement,
        previous: undefined,
      }
      pane.note.textContent = kind === 'hub' ? 'asking…' : ''
      return pane
    }

    #schedule(ms: number): void {
      this.#stopTimer()
      if (!this.isConnected || this.paused || this.#node === undefined) return
      this.#timer = setTimeout(() => {
        this.#timer = undefined
        if (document.visibilityState !== 'hidden') void this.refresh()
        this.#schedule(this.refreshMs)
      }, ms)
    }

    #stopTimer(): void {
      if (this.#timer !== undefined) clearTimeout(this.#timer)
      this.#timer = undefined
    }

    #refreshSelf(): void {
      const node = this.#node
      const pane = this.#self
      if (node === undefined || pane === undefined) return
      const view = readNode(node, { limit: this.limit, deadLetters: this.#log?.rows() ?? [] })
      show(pane, view, `${view.role === 'hub' ? 'Hub' : 'This node'} <code>${e(view.id)}</code>`)
      pane.note.textContent = view.role === 'hub' ? '' : view.connectionState
    }

    async #refreshHub(): Promise<void> {
      const node = this.#node
      const pane = this.#hub
      if (node === undefined || pane === undefined || this.#asking) return
      const hub = this.hub ?? linkedHub(node)
      if (hub === undefined || node.connectionState !== 'online') {
        pane.note.textContent =
          hub === undefined ? 'no hub linked yet' : `${node.connectionState}: showing the last figures`
        pane.body.classList.add('stale')
        return
      }
      const target = `${INSPECTOR_ACTOR}@${hub}`
      this.#asking = true
      try {
        const request: InspectorRequest = { type: 'inspect', focus: [node.id], limit: this.limit }
        const view = (await node.ask(target, request, {
          timeoutMs: Math.min(5_000, this.refreshMs * 3),
        })) as NodeView
        if (pane !== this.#hub) return // laid out anew meanwhile
        if (pane.previous?.id !== view.id) pane.previous = undefined
        // the hub reads its figures at most every so often: an answer from the same reading changes nothing
        if (pane.previous === undefined || view.at > pane.previous.at)
          show(pane, view, `Hub <code>${e(view.id)}</code>`)
        else pane.body.classList.remove('stale')
        pane.note.textContent = 'as the hub sees it'
      } catch (error) {
        pane.note.textContent = `no answer from ${target}: ${(error as { code?: string }).code ?? String(error)}`
        pane.body.classList.add('stale')
      } finally {
        this.#asking = false
      }
    }
  }

  customElements.define(tagName, Inspector)
  return Inspector
}

function show(pane: Pane, view: NodeView, title: string): void {
  pane.title.innerHTML = title
  pane.section.dataset.node = view.id
  pane.body.innerHTML = renderView({ view, previous: pane.previous })
  pane.body.classList.remove('stale')
  pane.previous = view
}

/** The hub `node` is linked to now (a client links to one hub at a time). */
function linkedHub(node: Node): string | undefined {
  const peers = node.metrics().peers
  return node.members().find((m) => m.role === 'hub' && m.id !== node.id && peers[m.id]?.connected)?.id
}

function positive(text: string | null, fallback: number): number {
  const value = Number(text)
  return text !== null && Number.isFinite(value) && value > 0 ? value : fallback
}
