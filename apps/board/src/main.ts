// The board in a tab: one Troupe browser node, its `view` and `presence` actors, and the UI.
import './style.css'
import { createNode, type Node } from '@troupe/browser'
import type { TroupeInspector } from '@troupe/inspector'
import { createBoardClient } from './boardClient.js'
import { createBoardView } from './boardView.js'
import { createClusterPanel } from './clusterPanel.js'
import { createConnectionPill } from './connectionPill.js'
import { createPresence } from './cursors.js'
import { $, h } from './dom.js'
import { colourOf, initials, loadIdentity } from './identity.js'
import { randomId } from './model.js'
import { address, BOARD_ACTOR, HUB_ID, OP_TTL_MS, PRESENCE_ACTOR, VIEW_ACTOR } from './protocol.js'

/** `?hub=ws://host:port` picks the hub; by default, port 9101 of the host that served the page. */
function hubUrl(): string {
  const given = new URLSearchParams(location.search).get('hub')
  if (given !== null && given !== '') return given
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
  return `${scheme}://${location.hostname || '127.0.0.1'}:9101`
}

async function start(): Promise<void> {
  const identity = loadIdentity()
  const colour = colourOf(identity.color)
  const tabId = `tab-${randomId(6)}`
  const pill = createConnectionPill($('[data-testid="connection"]'), $('[data-testid="waiting"]'))
  pill.setState('connecting')

  const me = $('[data-testid="self"]')
  me.dataset.nodeId = tabId
  me.style.setProperty('--ink', colour.ink)
  $('.avatar', me).textContent = initials(identity.name)
  $('.me-name', me).textContent = identity.name
  me.title = `You: ${identity.name} (node ${tabId})`
  $('[data-testid="self-id"]').textContent = tabId

  let tab: Node
  try {
    tab = await createNode({ id: tabId, seeds: [hubUrl()], holdTtlMs: OP_TTL_MS })
  } catch (error) {
    pill.setState('offline')
    showError(`Could not start the node: ${(error as Error).message}`)
    return
  }

  // for exploring from the devtools console: `troupe.node.members()`, `troupe.node.metrics()`
  Object.assign(globalThis, { troupe: { node: tab } })

  const client = createBoardClient({
    tabId,
    view: address(VIEW_ACTOR, tabId),
    send: (message) => tab.send(address(BOARD_ACTOR, HUB_ID), message, { ttlMs: OP_TTL_MS }),
  })
  const board = $('[data-testid="board"]')
  const presence = createPresence({
    node: tab,
    identity,
    board,
    layer: $('.cursors', board),
    tabs: () => client.tabs,
  })
  // spawned right after createNode, before any other await: nothing sent to them is missed
  tab.spawn(VIEW_ACTOR, { receive: (message) => client.receive(message) })
  tab.spawn(PRESENCE_ACTOR, { receive: (message) => presence.receive(message) })

  const view = createBoardView({
    board,
    layer: $('.notes', board),
    client,
    identity,
    previews: () => presence.previews(),
    onDrag: (drag) => presence.setDrag(drag),
  })
  const empty = $('[data-testid="empty"]')
  const panel = createClusterPanel({
    node: tab,
    client,
    panel: $('[data-testid="panel"]'),
    toggle: $('[data-testid="toggle-panel"]'),
    close: $('[data-testid="close-panel"]'),
    inspectors: [
      $<TroupeInspector>('[data-testid="panel-self"] troupe-inspector'),
      $<TroupeInspector>('[data-testid="panel-hub"] troupe-inspector'),
    ],
    boardNote: $('[data-testid="board-note"]'),
  })

  const redraw = (): void => {
    view.render()
    empty.hidden = !client.synced || client.notes().size > 0
    pill.setWaiting(client.waiting)
  }
  client.onChange((change) => {
    // a move landed: the live preview of that drag has done its job
    if (change.applied?.op.kind === 'move') presence.dropPreview(change.applied.op.note.id)
    redraw()
  })
  presence.onChange(() => {
    redraw()
    renderPeers()
  })

  const peersBox = $('[data-testid="peers"]')
  const renderPeers = (): void => {
    const onBoard = new Set(client.tabs)
    const peers = presence.peers().filter((p) => onBoard.has(p.id))
    peersBox.replaceChildren(
      ...peers.map((peer) => {
        const avatar = h('span', {
          class: 'avatar',
          text: initials(peer.name),
          title: `${peer.name} (${peer.id})`,
          dataset: { peer: peer.id },
        })
        avatar.style.setProperty('--ink', colourOf(peer.color).ink)
        return avatar
      }),
    )
  }

  const onConnection = (state: string): void => {
    pill.setState(state)
    // back online (a new link, maybe to a restarted hub): a fresh snapshot, and lost ops re-sent
    if (state === 'online') client.subscribe()
    panel.refresh()
  }
  tab.on('connection', onConnection)
  onConnection(tab.connectionState)
  if (tab.connectionState !== 'online') client.subscribe()

  // tabs that came to the board are greeted (they see this one's cursor at once), those that went are forgotten
  let tabsSeen = new Set<string>()
  client.onChange(() => {
    const now = new Set(client.tabs)
    for (const id of now) if (!tabsSeen.has(id)) presence.greet(id)
    for (const id of tabsSeen) if (!now.has(id)) presence.forget(id)
    tabsSeen = now
    renderPeers()
  })

  const scroller = $('[data-testid="board-scroll"]')
  $('[data-testid="add-note"]').addEventListener('click', () => {
    // in the middle of what is visible, a little off so that new notes do not stack exactly
    const surface = board.getBoundingClientRect()
    const visible = scroller.getBoundingClientRect()
    const jitter = (): number => Math.round((Math.random() - 0.5) * 80)
    view.addNoteAt(
      visible.left + visible.width / 2 - surface.left + jitter(),
      visible.top + visible.height / 2 - surface.top + jitter(),
    )
  })

  addEventListener('pagehide', (event) => {
    // leaving for good: the others see this tab leave at once (not down 1.5 s later)
    if (!event.persisted) void tab.close()
  })
  redraw()
}

function showError(text: string): void {
  const banner = h('div', { class: 'error-banner', text, attrs: { role: 'alert' } })
  document.body.append(banner)
}

start().catch((error: unknown) => {
  console.error(error)
  showError(`Something went wrong: ${String(error)}`)
})
