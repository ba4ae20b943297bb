import type { NodeControls } from '@troupe/core/internal'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type LifecycleTarget, watchLifecycle } from './lifecycle.js'

/** Controls that record what they were told, as `online:true`, `background:false`, `reconnect`. */
function recordingControls(): NodeControls & { calls: string[] } {
  const calls: string[] = []
  return {
    calls,
    setNetworkOnline: (online) => calls.push(`online:${online}`),
    setBackground: (background) => calls.push(`background:${background}`),
    reconnectNow: () => calls.push('reconnect'),
    retryRefused: () => calls.push('retry'),
  }
}

/** A window with a document and a navigator, driven by hand; counts its listeners. */
function fakePage(initial: { onLine?: boolean; visibilityState?: 'visible' | 'hidden' } = {}) {
  const navigator = { onLine: initial.onLine ?? true }
  const document = countListeners(
    Object.assign(new EventTarget(), { visibilityState: initial.visibilityState ?? 'visible' }),
  )
  const window = countListeners(Object.assign(new EventTarget(), { navigator, document }))
  const fire = (on: EventTarget, type: string, fields: object = {}) =>
    on.dispatchEvent(Object.assign(new Event(type), fields))
  return {
    target: window as LifecycleTarget,
    navigator,
    listeners: () => window.listening + document.listening,
    offline() {
      navigator.onLine = false
      fire(window, 'offline')
    },
    online() {
      navigator.onLine = true
      fire(window, 'online')
    },
    hide() {
      document.visibilityState = 'hidden'
      fire(document, 'visibilitychange')
    },
    show() {
      document.visibilityState = 'visible'
      fire(document, 'visibilitychange')
    },
    freeze: () => fire(document, 'freeze'),
    resume: () => fire(document, 'resume'),
    pageshow: (persisted: boolean) => fire(window, 'pageshow', { persisted }),
    pagehide: (persisted: boolean) => fire(window, 'pagehide', { persisted }),
  }
}

function countListeners<T extends EventTarget>(target: T): T & { listening: number } {
  const counted = Object.assign(target, { listening: 0 })
  const add = target.addEventListener.bind(target)
  const remove = target.removeEventListener.bind(target)
  counted.addEventListener = (...args: Parameters<EventTarget['addEventListener']>) => {
    counted.listening++
    add(...args)
  }
  counted.removeEventListener = (...args: Parameters<EventTarget['removeEventListener']>) => {
    counted.listening--
    remove(...args)
  }
  return counted
}

afterEach(() => {
  vi.useRealTimers()
})

describe('watchLifecycle', () => {
  it('starts from navigator.onLine and follows online/offline events', () => {
    const page = fakePage({ onLine: false })
    const controls = recordingControls()
    watchLifecycle(controls, page.target)
    expect(controls.calls).toEqual(['online:false'])

    page.online()
    page.offline()
    expect(controls.calls).toEqual(['online:false', 'online:true', 'online:false'])
  })

  it('tells nothing about visibility at start while the page is visible', () => {
    const controls = recordingControls()
    watchLifecycle(controls, fakePage().target)
    expect(controls.calls).toEqual(['online:true'])
  })

  it('starts in the background when the page starts hidden', () => {
    const controls = recordingControls()
    watchLifecycle(controls, fakePage({ visibilityState: 'hidden' }).target)
    expect(controls.calls).toEqual(['online:true', 'background:true'])
  })

  it('goes to the background when hidden, and back with a redial when shown', () => {
    const page = fakePage()
    const controls = recordingControls()
    watchLifecycle(controls, page.target)
    controls.calls.length = 0

    page.hide()
    expect(controls.calls).toEqual(['background:true'])
    page.show()
    expect(controls.calls).toEqual(['background:true', 'background:false', 'reconnect'])
  })

  it('goes to the background when frozen, and back with a redial when resumed', () => {
    const page = fakePage()
    const controls = recordingControls()
    watchLifecycle(controls, page.target)
    controls.calls.length = 0

    page.freeze()
    expect(controls.calls).toEqual(['background:true'])
    page.resume()
    expect(controls.calls).toEqual(['background:true', 'background:false', 'reconnect'])
  })

  it('stays in the background when a hidden page is resumed, and redials', () => {
    const page = fakePage()
    const controls = recordingControls()
    watchLifecycle(controls, page.target)
    page.hide()
    page.freeze()
    controls.calls.length = 0

    page.resume()
    expect(controls.calls).toEqual(['background:true', 'reconnect'])
    page.show()
    expect(controls.calls).toEqual(['background:true', 'reconnect', 'background:false', 'reconnect'])
  })

  it('redials when restored from the back/forward cache, and ignores other pageshow and pagehide', () => {
    const page = fakePage()
    const controls = recordingControls()
    watchLifecycle(controls, page.target)
    controls.calls.length = 0

    page.pageshow(false)
    page.pagehide(false)
    page.pagehide(true)
    expect(controls.calls).toEqual([])
    page.pageshow(true)
    expect(controls.calls).toEqual(['reconnect'])
  })

  it('re-reads navigator.onLine on waking, in case an event was missed while frozen', () => {
    const page = fakePage()
    const controls = recordingControls()
    watchLifecycle(controls, page.target)
    page.freeze()
    page.navigator.onLine = false // went offline while frozen: no event reached the page
    controls.calls.length = 0

    page.resume()
    expect(controls.calls).toEqual(['background:false', 'online:false', 'reconnect'])
  })

  it('does not repeat a network state the node already has', () => {
    const page = fakePage()
    const controls = recordingControls()
    watchLifecycle(controls, page.target)
    page.online()
    page.show()
    expect(controls.calls).toEqual(['online:true', 'background:false', 'reconnect'])
  })

  it('removes every listener on unsubscribe, and a second call does nothing', () => {
    const page = fakePage()
    const controls = recordingControls()
    const unsubscribe = watchLifecycle(controls, page.target)
    expect(page.listeners()).toBe(6)

    unsubscribe()
    unsubscribe()
    expect(page.listeners()).toBe(0)
    controls.calls.length = 0
    page.offline()
    page.hide()
    page.freeze()
    page.resume()
    page.show()
    page.pageshow(true)
    expect(controls.calls).toEqual([])
  })

  it('runs no timers of its own', () => {
    vi.useFakeTimers()
    const page = fakePage()
    const unsubscribe = watchLifecycle(recordingControls(), page.target)
    page.offline()
    page.hide()
    page.freeze()
    page.resume()
    page.show()
    page.pageshow(true)
    expect(vi.getTimerCount()).toBe(0)
    unsubscribe()
  })

  it('does nothing without document, navigator or addEventListener', () => {
    const controls = recordingControls()
    const unsubscribes = [
      watchLifecycle(controls, {}),
      // Node 21+ has a navigator without onLine, and no addEventListener on globalThis
      watchLifecycle(controls, { navigator: {} }),
      watchLifecycle(controls, { navigator: { onLine: true } }),
      watchLifecycle(controls, { document: { visibilityState: 'hidden' } as never }),
      watchLifecycle(controls, globalThis as LifecycleTarget),
      watchLifecycle(controls),
    ]
    for (const unsubscribe of unsubscribes) unsubscribe()
    expect(controls.calls).toEqual([])
  })

  it('follows the network in a worker, which has a navigator but no document', () => {
    const worker = countListeners(Object.assign(new EventTarget(), { navigator: { onLine: true } }))
    const controls = recordingControls()
    const unsubscribe = watchLifecycle(controls, worker)
    worker.dispatchEvent(new Event('offline'))
    expect(controls.calls).toEqual(['online:true', 'online:false'])
    unsubscribe()
    expect(worker.listening).toBe(0)
  })
})
