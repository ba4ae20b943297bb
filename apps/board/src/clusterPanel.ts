import type { Node } from '@troupe/browser'
import { defineInspector, type TroupeInspector } from '@troupe/inspector'
import type { BoardClient } from './boardClient.js'
import { $, h, setText } from './dom.js'
import { BOARD_KEY, BOARD_KIND } from './protocol.js'

/** Options of {@link createClusterPanel}. */
export interface ClusterPanelOptions {
  node: Node
  client: BoardClient
  panel: HTMLElement
  toggle: HTMLElement
  close: HTMLElement
  /** The `<troupe-inspector>` elements of the panel: the tab's and its hub's. */
  inspectors: TroupeInspector[]
  /** The board's section: where it lives (`board-host`), its figures (`board-note`), its moves (`board-stays`). */
  boardSection: HTMLElement
}

const time = (at: number): string => new Date(at).toLocaleTimeString([], { hour12: false })

/**
 * The cluster panel: where the board entity lives now and where it was
 * before, and two `<troupe-inspector>` elements (this tab's node, and the hub
 * it is linked to as that hub's `troupe.inspector` sees it), refreshing every
 * second while the panel is open.
 */
export function createClusterPanel(options: ClusterPanelOptions): { refresh(): void } {
  const { node, client, panel, toggle, inspectors, boardSection } = options
  defineInspector()
  for (const inspector of inspectors) inspector.node = node
  const host = $('[data-testid="board-host"]', boardSection)
  const note = $('[data-testid="board-note"]', boardSection)
  const stays = $('[data-testid="board-stays"]', boardSection)
  const hubId = $('[data-testid="hub-id"]', panel)
  let open = false

  // kept up to date while closed too: the tests and the screenshot read it
  const refreshBoard = (): void => {
    const where = client.source?.host ?? ''
    host.dataset.host = where
    setText(host, where === '' ? '…' : where)
    boardSection.dataset.rev = String(client.rev)
    boardSection.dataset.made = String(client.made)
    boardSection.dataset.waiting = String(client.waiting)
    boardSection.dataset.resent = String(client.resent)
    setText(
      note,
      client.synced
        ? `rev ${client.rev} · ${client.waiting} of this tab's edits waiting · ${client.made} made here`
        : `${BOARD_KIND}/${BOARD_KEY}: waiting for the first snapshot`,
    )
    const rows = client.stays.map((stay, i, all) => {
      const current = i === all.length - 1
      return h(
        'li',
        { class: current ? 'current' : '', dataset: { host: stay.host } },
        h('code', { text: stay.host }),
        ` ${current ? 'since' : 'from'} ${time(stay.since)}${current ? '' : ` to ${time(all[i + 1]?.since ?? stay.since)}`}`,
      )
    })
    if (
      stays.childElementCount !== rows.length ||
      stays.textContent !== rows.map((r) => r.textContent).join('')
    )
      stays.replaceChildren(...rows)
  }

  const setOpen = (value: boolean): void => {
    open = value
    panel.hidden = !open
    document.body.classList.toggle('panel-open', open)
    toggle.setAttribute('aria-expanded', String(open))
    // the inspectors ask and draw only while they can be seen
    for (const inspector of inspectors) inspector.paused = !open
  }

  client.onChange(refreshBoard)
  toggle.addEventListener('click', () => setOpen(!open))
  options.close.addEventListener('click', () => setOpen(false))
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && open) setOpen(false)
  })
  // open by default where there is room for it beside the board
  setOpen(matchMedia('(min-width: 1100px)').matches)
  refreshBoard()

  // the hub this tab is linked to now (another after a failover)
  const showHub = (): void => {
    const peers = node.metrics().peers
    const hub = node.members().find((m) => m.role === 'hub' && peers[m.id]?.connected === true)
    setText(hubId, hub?.id ?? '')
  }
  setInterval(showHub, 1_000)

  return {
    refresh() {
      refreshBoard()
      showHub()
      if (!open) return
      for (const inspector of inspectors) void inspector.refresh()
    },
  }
}
