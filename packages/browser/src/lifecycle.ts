import type { NodeControls } from '@troupe/core/internal'

type Listener = (event: Event) => void

/** The part of `EventTarget` the watcher uses. */
interface Listenable {
  addEventListener(type: string, listener: Listener): void
  removeEventListener(type: string, listener: Listener): void
}

/**
 * Where {@link watchLifecycle} listens: a window (`globalThis` in a page), or
 * a stand-in for tests. Every part is optional, as it is outside a page.
 * @internal
 */
export interface LifecycleTarget extends Partial<Listenable> {
  readonly navigator?: { readonly onLine?: boolean } | undefined
  readonly document?: (Listenable & { readonly visibilityState?: string }) | undefined
}

/**
 * Tells a node what the page around it is doing, through `controls`:
 *
 * | event | on | tells the node |
 * | --- | --- | --- |
 * | `offline` / `online` | window | `setNetworkOnline(false / true)`; at start, `navigator.onLine` |
 * | `visibilitychange` to hidden | document | `setBackground(true)`; at start too, if the page is hidden |
 * | `visibilitychange` to visible | document | `setBackground(false)`, `reconnectNow()` |
 * | `freeze` | document | `setBackground(true)` |
 * | `resume` | document | `setBackground(false)` (unless still hidden), `reconnectNow()` |
 * | `pageshow` with `persisted` (back/forward cache) | window | `reconnectNow()` |
 *
 * On waking (visible, resume, restored) it also re-reads `navigator.onLine`,
 * in case an `online`/`offline` event was missed while the page was frozen or
 * cached. `pagehide` needs nothing: closing the node is the application's call.
 * The watcher runs no timers. Each part needs its globals: without `navigator`
 * or `addEventListener` (a worker has no `document`; Node has neither) that
 * part is left out, and with neither it does nothing.
 *
 * @returns a function that removes every listener; calling it again does nothing
 * @internal
 */
export function watchLifecycle(
  controls: NodeControls,
  target: LifecycleTarget = globalThis as LifecycleTarget,
): () => void {
  const removers: Array<() => void> = []
  const listen = (on: Listenable, type: string, listener: Listener): void => {
    on.addEventListener(type, listener)
    removers.push(() => on.removeEventListener(type, listener))
  }

  const window = hasListeners(target) ? target : undefined
  const navigator = target.navigator
  const document = hasListeners(target.document) ? target.document : undefined

  let online: boolean | undefined
  const setOnline = (value: boolean): void => {
    if (value === online) return
    online = value
    controls.setNetworkOnline(value)
  }
  const syncOnline = (): void => {
    if (typeof navigator?.onLine === 'boolean') setOnline(navigator.onLine)
  }
  const wake = (): void => {
    syncOnline()
    controls.reconnectNow()
  }

  if (window !== undefined && typeof navigator?.onLine === 'boolean') {
    syncOnline()
    listen(window, 'online', () => setOnline(true))
    listen(window, 'offline', () => setOnline(false))
  }
  if (window !== undefined) {
    listen(window, 'pageshow', (event) => {
      // persisted: restored from the back/forward cache, where the socket was closed or frozen
      if ((event as { persisted?: unknown }).persisted === true) wake()
    })
  }
  if (document !== undefined) {
    if (document.visibilityState === 'hidden') controls.setBackground(true)
    listen(document, 'visibilitychange', () => {
      if (document.visibilityState === 'hidden') {
        controls.setBackground(true)
      } else if (document.visibilityState === 'visible') {
        controls.setBackground(false)
        wake()
      }
    })
    listen(document, 'freeze', () => controls.setBackground(true))
    listen(document, 'resume', () => {
      // a frozen page is hidden, and may be resumed while still hidden: background until it is shown
      controls.setBackground(document.visibilityState === 'hidden')
      wake()
    })
  }

  let watching = true
  return () => {
    if (!watching) return
    watching = false
    for (const remove of removers) remove()
  }
}

function hasListeners<T extends object>(value: T | undefined): value is T & Listenable {
  const candidate = value as Partial<Listenable> | undefined
  return (
    typeof candidate?.addEventListener === 'function' && typeof candidate.removeEventListener === 'function'
  )
}
