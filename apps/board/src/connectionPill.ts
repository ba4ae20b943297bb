import { setText } from './dom.js'

const LABELS: Record<string, string> = {
  online: 'Online',
  connecting: 'Connecting…',
  offline: 'Offline',
  refused: 'Refused',
}

/**
 * The connection pill: where the tab's link to the hub stands (`data-state` is
 * the node's state as it reports it), and how many of this tab's edits are
 * still on their way.
 */
export function createConnectionPill(pill: HTMLElement, waiting: HTMLElement) {
  const label = pill.querySelector('.pill-label') ?? pill
  return {
    setState(state: string): void {
      pill.dataset.state = state
      setText(label, LABELS[state] ?? state)
      pill.title = state === 'online' ? 'Linked to the hub' : 'Edits are kept and sent when the link is back'
    },
    /** `count` edits made here that the hub has not applied yet. */
    setWaiting(count: number): void {
      waiting.hidden = count === 0
      waiting.dataset.count = String(count)
      waiting.title = `${count} of your edits are not on the hub yet`
      waiting.innerHTML = `<b>${count}</b><span class="waiting-label"> ${count === 1 ? 'edit' : 'edits'} to sync</span>`
    },
  }
}
