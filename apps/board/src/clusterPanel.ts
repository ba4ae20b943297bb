import type { Node } from '@troupe/browser'
import { defineInspector, type TroupeInspector } from '@troupe/inspector'
import type { BoardClient } from './boardClient.js'

export interface ClusterPanelOptions {
  node: Node
  client: BoardClient
  panel: HTMLElement
  toggle: HTMLElement
  close: HTMLElement
  /** The `<troupe-inspector>` elements of the panel: the tab's and the hub's. */
  inspectors: TroupeInspector[]
  /** Where the board's own figures go. */
  boardNote: HTMLElement
}

/**
 * The cluster panel: two `<troupe-inspector>` elements (this tab's node, and
 * the hub as `troupe.inspector@hub` sees it), refreshing every second while
 * the panel is open, and a line about the board.
 */
export function createClusterPanel(options: ClusterPanelOptions): { refresh(): void } {
  const { node, client, panel, toggle, inspectors } = options
  defineInspector()
  for (const inspector of inspectors) inspector.node = node
  let open = false

  const refreshBoardNote = (): void => {
    options.boardNote.textContent = client.synced
      ? `board rev ${client.rev}, saved ${client.savedRev} · ${client.waiting} waiting, ${client.unsaved} unsaved`
      : 'board: waiting for the first snapshot'
  }

  const setOpen = (value: boolean): void => {
    open = value
    panel.hidden = !open
    document.body.classList.toggle('panel-open', open)
    toggle.setAttribute('aria-expanded', String(open))
    // the inspectors ask and draw only while they can be seen
    for (const inspector of inspectors) inspector.paused = !open
    if (open) refreshBoardNote()
  }

  client.onChange(() => {
    if (open) refreshBoardNote()
  })
  toggle.addEventListener('click', () => setOpen(!open))
  options.close.addEventListener('click', () => setOpen(false))
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && open) setOpen(false)
  })
  // open by default where there is room for it beside the board
  setOpen(matchMedia('(min-width: 1100px)').matches)

  return {
    refresh() {
      if (!open) return
      refreshBoardNote()
      for (const inspector of inspectors) void inspector.refresh()
    },
  }
}
