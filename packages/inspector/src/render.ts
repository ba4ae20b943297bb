import { escapeHtml as e, formatAgo, formatBytes, formatCount, formatMs, formatRate, rate } from './format.js'
import type { NodeView, Rows } from './protocol.js'

/** Two readings of one node: rates come from their differences. */
export interface Readings {
  readonly view: NodeView
  readonly previous: NodeView | undefined
}

/**
 * One part of a node's view. The inspector shows these in order; a new kind of
 * figure (groups, entities) is one more entry in {@link SECTIONS}.
 */
export interface Section {
  readonly id: string
  readonly title: string
  /** HTML for the section, or '' to leave it out. */
  render(readings: Readings): string
}

const secondsBetween = ({ view, previous }: Readings): number =>
  previous === undefined ? 0 : (view.at - previous.at) / 1_000

const figureRate = (readings: Readings, name: string): string =>
  formatRate(
    rate(readings.view.figures[name] ?? 0, readings.previous?.figures[name], secondsBetween(readings)),
  )

const STATUS_ORDER = ['up', 'suspect', 'down', 'left']

function omitted(rows: Rows<unknown>, columns: number, what: string): string {
  return rows.omitted > 0
    ? `<tr><td colspan="${columns}" class="muted small">and ${formatCount(rows.omitted)} more ${what}</td></tr>`
    : ''
}

function table(head: string[], body: string, testid: string): string {
  const cells = head.map((h) =>
    h.startsWith('#') ? `<th class="num">${e(h.slice(1))}</th>` : `<th>${e(h)}</th>`,
  )
  return `<table class="table" data-testid="${testid}"><thead><tr>${cells.join('')}</tr></thead><tbody>${body}</tbody></table>`
}

const stats: Section = {
  id: 'stats',
  title: '',
  render(readings) {
    const { figures } = readings.view
    const items: Array<[string, string]> = [
      ['in / s', figureRate(readings, 'received')],
      ['out / s', figureRate(readings, 'sent')],
      ['delivered / s', figureRate(readings, 'delivered')],
      ['actors', formatCount(figures.actors ?? 0)],
    ]
    if (readings.view.role === 'hub') {
      items.push(
        ['relayed / s', figureRate(readings, 'relayed')],
        ['clients', formatCount(figures.clients ?? 0)],
      )
    }
    items.push(
      ['pending asks', formatCount(figures.pendingAsks ?? 0)],
      ['unacked', formatCount(figures.queued ?? 0)],
    )
    return `<div class="stats" data-testid="stats">${items
      .map(
        ([label, value]) =>
          `<div class="stat" data-stat="${e(label)}"><b>${e(value)}</b><span>${e(label)}</span></div>`,
      )
      .join('')}</div>`
  },
}

const members: Section = {
  id: 'members',
  title: 'Members',
  render({ view }) {
    const rows = view.members.rows
      .map(
        (m) => `<tr data-member="${e(m.id)}" data-role="${e(m.role)}" data-status="${e(m.status)}">
        <td class="mono">${e(m.id)}${m.id === view.id ? ' <span class="tag">self</span>' : ''}</td>
        <td>${e(m.role)}</td>
        <td><span class="badge badge-${e(m.status)}">${e(m.status)}</span></td>
        <td class="mono muted">${m.via === undefined ? '' : e(m.via)}</td>
      </tr>`,
      )
      .join('')
    const counts = Object.entries(view.memberCounts)
      .sort(
        ([a], [b]) =>
          STATUS_ORDER.indexOf(a.split(' ')[1] ?? '') - STATUS_ORDER.indexOf(b.split(' ')[1] ?? ''),
      )
      .map(([key, n]) => `${formatCount(n)} ${key}`)
      .join(' · ')
    return `<h4>Members <span class="muted">${formatCount(view.members.total)}</span></h4>
      <p class="muted small counts">${e(counts)}</p>
      ${table(['node', 'role', 'status', 'via'], rows + omitted(view.members, 4, 'members'), 'members')}`
  },
}

const links: Section = {
  id: 'links',
  title: 'Links',
  render(readings) {
    const { view, previous } = readings
    if (view.links.total === 0) return '<h4>Links</h4><p class="muted small">no links yet</p>'
    const seconds = secondsBetween(readings)
    const queuedFor = new Map(view.streams.rows.map((s) => [s.node, s.queued]))
    const rows = view.links.rows
      .map((link) => {
        const old = previous?.links.rows.find((row) => row.peer === link.peer)
        const framesPerSecond = rate(
          link.framesIn + link.framesOut,
          old === undefined ? undefined : old.framesIn + old.framesOut,
          seconds,
        )
        const queued = queuedFor.get(link.peer) ?? 0
        return `<tr data-link="${e(link.peer)}" data-connected="${link.connected}" data-role="${e(link.role ?? 'unknown')}">
        <td class="mono">${e(link.peer)}</td>
        <td><span class="dot ${link.connected ? 'dot-on' : 'dot-off'}"></span>${link.connected ? 'up' : 'down'}${
          link.connects > 1 ? ` <span class="muted" title="connections">×${link.connects}</span>` : ''
        }</td>
        <td class="num">${formatMs(link.rttMs)}</td>
        <td class="num${queued > 0 ? ' warn' : ''}">${formatCount(queued)}</td>
        <td class="num">${formatRate(framesPerSecond)}</td>
      </tr>`
      })
      .join('')
    return `<h4>Links <span class="muted">${formatCount(view.links.total)}</span></h4>
      ${table(['peer', 'link', '#RTT', '#queued', '#frames/s'], rows + omitted(view.links, 5, 'links'), 'links')}`
  },
}

const queues: Section = {
  id: 'queues',
  title: 'Queues',
  render({ view }) {
    const { figures } = view
    const waiting = view.streams.rows.filter((s) => s.queued > 0 || s.unreachable !== undefined)
    const summary = `${formatCount(figures.queued ?? 0)} not acknowledged · ${formatCount(figures.held ?? 0)} held (${formatBytes(
      figures.heldBytes ?? 0,
    )}) · ${formatCount(figures.resent ?? 0)} resent`
    const rows = waiting
      .map(
        (s) => `<tr data-stream="${e(s.node)}" data-unreachable="${e(s.unreachable ?? '')}">
        <td class="mono">${e(s.node)}</td>
        <td class="num">${formatCount(s.queued)}</td>
        <td class="num">${formatBytes(s.queuedBytes)}</td>
        <td class="num">${formatCount(s.inFlight)}</td>
        <td>${s.unreachable === undefined ? '' : `<span class="badge badge-down">${e(s.unreachable)}</span>`}</td>
      </tr>`,
      )
      .join('')
    return `<h4>Queues</h4><p class="small" data-testid="queues">${e(summary)}</p>${
      rows === ''
        ? ''
        : table(['destination', '#queued', '#bytes', '#in flight', 'unreachable'], rows, 'streams')
    }`
  },
}

const deadLetters: Section = {
  id: 'dead-letters',
  title: 'Dead letters',
  render({ view }) {
    const counts = Object.entries(view.deadLetters).filter(([, n]) => n > 0)
    const chips =
      counts.length === 0
        ? '<span class="muted">none</span>'
        : counts
            .map(
              ([reason, n]) =>
                `<span class="chip" data-reason="${e(reason)}">${e(reason)} <b>${formatCount(n)}</b></span>`,
            )
            .join('')
    const recent = [...view.recentDeadLetters]
      .reverse()
      .map(
        (d) => `<li data-reason="${e(d.reason)}"><span class="muted">${e(formatAgo(d.at, view.at))}</span>
        <b>${e(d.reason)}</b> <span class="mono">${e(d.to)}</span>${d.from === undefined ? '' : ` <span class="muted">from</span> <span class="mono">${e(d.from)}</span>`}${
          d.detail === undefined ? '' : `<div class="muted small">${e(d.detail)}</div>`
        }</li>`,
      )
      .join('')
    return `<h4>Dead letters</h4><div class="chips" data-testid="dead-letters">${chips}</div>${
      recent === '' ? '' : `<ul class="recent" data-testid="recent-dead-letters">${recent}</ul>`
    }`
  },
}

const groups: Section = {
  id: 'groups',
  title: 'Groups',
  render({ view }) {
    const rows = Object.entries(view.groups)
      .map(
        ([name, count]) =>
          `<tr data-group="${e(name)}"><td class="mono">${e(name)}</td><td class="num">${formatCount(count)}</td></tr>`,
      )
      .join('')
    return rows === '' ? '' : `<h4>Groups</h4>${table(['group', '#members up'], rows, 'groups')}`
  },
}

const entities: Section = {
  id: 'entities',
  title: 'Entities',
  render({ view }) {
    const figures = Object.entries(view.entities)
    if (figures.every(([, n]) => n === 0)) return ''
    const chips = figures
      .map(
        ([name, n]) =>
          `<span class="chip" data-entities="${e(name)}">${e(name)} <b>${formatCount(n)}</b></span>`,
      )
      .join('')
    return `<h4>Entities</h4><div class="chips" data-testid="entities">${chips}</div>`
  },
}

const circuits: Section = {
  id: 'circuits',
  title: 'Circuit breakers',
  render({ view }) {
    const rows = view.circuits
      .map(
        (c) => `<tr data-circuit="${e(c.node)}" data-state="${e(c.state)}">
        <td class="mono">${e(c.node)}</td><td><span class="badge badge-${c.state === 'closed' ? 'up' : 'down'}">${e(c.state)}</span></td>
        <td class="num">${formatCount(c.failures)}</td><td class="num">${formatCount(c.opened)}</td></tr>`,
      )
      .join('')
    return rows === ''
      ? ''
      : `<h4>Circuit breakers</h4>${table(['node', 'state', '#failures', '#opened'], rows, 'circuits')}`
  },
}

const figures: Section = {
  id: 'figures',
  title: 'All figures',
  render({ view }) {
    const rows = Object.entries(view.figures)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(
        ([name, value]) =>
          `<tr data-figure="${e(name)}"><td class="mono">${e(name)}</td><td class="num">${formatCount(value)}</td></tr>`,
      )
      .join('')
    return `<details><summary>All figures</summary>${table(['figure', '#value'], rows, 'figures')}</details>`
  },
}

/** The sections of a node's view, in the order shown. */
export const SECTIONS: readonly Section[] = [
  stats,
  members,
  links,
  queues,
  groups,
  entities,
  circuits,
  deadLetters,
  figures,
]

/** The HTML of a node's view. */
export function renderView(readings: Readings): string {
  return SECTIONS.map((section) => section.render(readings)).join('')
}
