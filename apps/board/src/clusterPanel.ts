import type { Member, Node, NodeMetrics } from '@troupe/browser'
import type { BoardClient } from './boardClient.js'
import { escapeHtml as e } from './dom.js'
import { address, HUB_ID, type HubStats, STATS_ACTOR } from './protocol.js'

const REFRESH_MS = 1_000
/** Down or left members listed before the rest are only counted. */
const MAX_GONE_SHOWN = 6

/** One reading of a node's figures, and when it was taken (on that node's clock). */
interface Sample {
  members: Member[]
  metrics: NodeMetrics
  at: number
}

/** Per second, from two readings of a counter. */
const rate = (now: number, before: number | undefined, seconds: number): number | undefined =>
  before === undefined || seconds <= 0 ? undefined : Math.max(0, (now - before) / seconds)

const formatRate = (value: number | undefined): string =>
  value === undefined ? '–' : value >= 100 ? String(Math.round(value)) : value.toFixed(1).replace(/\.0$/, '')

const formatRtt = (ms: number | null | undefined): string =>
  ms === undefined || ms === null ? '–' : ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`

const STATUS_ORDER: Record<string, number> = { up: 0, suspect: 1, down: 2, left: 3 }

const totals = (metrics: NodeMetrics): { sent: number; received: number } => metrics

function renderNode(sample: Sample, previous: Sample | undefined, selfId: string): string {
  const { members, metrics } = sample
  const seconds = previous === undefined ? 0 : (sample.at - previous.at) / 1_000
  const now = totals(metrics)
  const before = previous === undefined ? undefined : totals(previous.metrics)
  const stats: Array<[string, string]> = [
    ['in / s', formatRate(rate(now.received, before?.received, seconds))],
    ['out / s', formatRate(rate(now.sent, before?.sent, seconds))],
    ['delivered / s', formatRate(rate(metrics.delivered, previous?.metrics.delivered, seconds))],
    ['actors', String(metrics.actors)],
  ]
  const sorted = [...members].sort(
    (a, b) =>
      (STATUS_ORDER[a.status] ?? 9) - (STATUS_ORDER[b.status] ?? 9) ||
      (a.role === b.role ? 0 : a.role === 'hub' ? -1 : 1) ||
      a.id.localeCompare(b.id),
  )
  // members that left or went down stay in the table: show a few, count the rest
  const gone = sorted.filter((m) => m.status === 'down' || m.status === 'left')
  const shown = sorted.filter((m) => !gone.includes(m) || gone.indexOf(m) < MAX_GONE_SHOWN)
  const hidden = sorted.length - shown.length
  const memberRows = shown
    .map(
      (m) => `<tr data-member="${e(m.id)}" data-role="${e(m.role)}" data-status="${e(m.status)}">
        <td class="mono">${e(m.id)}${m.id === selfId ? ' <span class="tag">self</span>' : ''}</td>
        <td>${e(m.role)}</td>
        <td><span class="badge badge-${e(m.status)}">${e(m.status)}</span></td>
        <td class="mono muted">${m.via ? e(m.via) : ''}</td>
      </tr>`,
    )
    .join('')
    .concat(
      hidden > 0 ? `<tr><td colspan="4" class="muted small">and ${hidden} more down or gone</td></tr>` : '',
    )
  const links = Object.entries(metrics.peers).sort(
    ([a, x], [b, y]) => Number(y.connected) - Number(x.connected) || a.localeCompare(b),
  )
  const downLinks = links.filter(([, link]) => !link.connected)
  const shownLinks = links.filter(([, link]) => link.connected).concat(downLinks.slice(0, MAX_GONE_SHOWN))
  const hiddenLinks = downLinks.length - Math.min(downLinks.length, MAX_GONE_SHOWN)
  const linkRows = shownLinks
    .map(([id, link]) => {
      const old = previous?.metrics.peers[id]
      const perSecond = rate(
        link.framesIn + link.framesOut,
        old === undefined ? undefined : old.framesIn + old.framesOut,
        seconds,
      )
      const queued = metrics.streams[id]?.queued ?? 0
      return `<tr data-link="${e(id)}" data-connected="${link.connected}">
        <td class="mono">${e(id)}</td>
        <td><span class="dot ${link.connected ? 'dot-on' : 'dot-off'}"></span>${link.connected ? 'up' : 'down'}${
          link.connects > 1 ? ` <span class="muted">×${link.connects}</span>` : ''
        }</td>
        <td class="num">${formatRtt(link.rttMs)}</td>
        <td class="num${queued > 0 ? ' warn' : ''}">${queued}</td>
        <td class="num">${formatRate(perSecond)}</td>
      </tr>`
    })
    .join('')
    .concat(
      hiddenLinks > 0 ? `<tr><td colspan="5" class="muted small">and ${hiddenLinks} more down</td></tr>` : '',
    )
  const dead = Object.entries(metrics.deadLetters).filter(([, count]) => count > 0)
  const deadChips =
    dead.length === 0
      ? '<span class="muted">none</span>'
      : dead
          .map(
            ([reason, count]) =>
              `<span class="chip" data-reason="${e(reason)}">${e(reason)} <b>${count}</b></span>`,
          )
          .join('')
  return `
    <div class="stats">${stats.map(([k, v]) => `<div class="stat"><b>${e(v)}</b><span>${e(k)}</span></div>`).join('')}</div>
    <h4>Members <span class="muted">${members.length}</span></h4>
    <table class="table"><thead><tr><th>node</th><th>role</th><th>status</th><th>via</th></tr></thead>
      <tbody>${memberRows}</tbody></table>
    <h4>Links</h4>
    ${
      linkRows === ''
        ? '<p class="muted small">no links yet</p>'
        : `<table class="table"><thead><tr><th>peer</th><th>link</th><th class="num">RTT</th><th class="num">queued</th><th class="num">frames/s</th></tr></thead>
      <tbody>${linkRows}</tbody></table>`
    }
    <h4>Dead letters${metrics.held > 0 ? ` <span class="muted">· ${metrics.held} held</span>` : ''}</h4>
    <div class="chips" data-testid="dead-letters">${deadChips}</div>`
}

export interface ClusterPanelOptions {
  node: Node
  client: BoardClient
  panel: HTMLElement
  toggle: HTMLElement
  close: HTMLElement
  /** The tab's own section and the hub's. */
  selfBody: HTMLElement
  hubBody: HTMLElement
  hubNote: HTMLElement
  boardNote: HTMLElement
}

/**
 * The cluster panel: this tab's node and the hub's, refreshed every second
 * while the panel is open. The tab's figures are its own `members()` and
 * `metrics()`; the hub's come from asking `stats@hub`.
 */
export function createClusterPanel(options: ClusterPanelOptions): { refresh(): void } {
  const { node, client, panel, toggle } = options
  let open = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let previousSelf: Sample | undefined
  let previousHub: Sample | undefined
  let asking = false

  const refreshSelf = (): void => {
    const sample: Sample = { members: node.members(), metrics: node.metrics(), at: performance.now() }
    options.selfBody.innerHTML = renderNode(sample, previousSelf, node.id)
    previousSelf = sample
    options.boardNote.textContent = client.synced
      ? `board rev ${client.rev}, saved ${client.savedRev} · ${client.waiting} waiting, ${client.unsaved} unsaved`
      : 'board: waiting for the first snapshot'
  }

  const refreshHub = async (): Promise<void> => {
    if (asking) return
    if (node.connectionState !== 'online') {
      options.hubNote.textContent = `the tab is ${node.connectionState}: showing the last figures`
      options.hubBody.classList.add('stale')
      return
    }
    asking = true
    try {
      // the hub's stats actor answers HubStats (see protocol.ts)
      const stats = (await node.ask(
        address(STATS_ACTOR, HUB_ID),
        { type: 'stats' },
        { timeoutMs: 2_000 },
      )) as HubStats
      const sample: Sample = { members: stats.members, metrics: stats.metrics, at: stats.at }
      options.hubBody.innerHTML = renderNode(sample, previousHub, HUB_ID)
      options.hubBody.classList.remove('stale')
      options.hubNote.textContent = 'as the hub sees it'
      previousHub = sample
    } catch (error) {
      options.hubNote.textContent = `no answer from ${address(STATS_ACTOR, HUB_ID)}: ${
        (error as { code?: string }).code ?? String(error)
      }`
      options.hubBody.classList.add('stale')
    } finally {
      asking = false
    }
  }

  const tick = (): void => {
    timer = undefined
    if (!open) return
    refreshSelf()
    void refreshHub()
    timer = setTimeout(tick, REFRESH_MS)
  }

  const setOpen = (value: boolean): void => {
    open = value
    panel.hidden = !open
    document.body.classList.toggle('panel-open', open)
    toggle.setAttribute('aria-expanded', String(open))
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    if (open) tick()
  }

  toggle.addEventListener('click', () => setOpen(!open))
  options.close.addEventListener('click', () => setOpen(false))
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && open) setOpen(false)
  })
  // open by default where there is room for it beside the board
  setOpen(matchMedia('(min-width: 1100px)').matches)

  return {
    refresh() {
      if (open) refreshSelf()
    },
  }
}
