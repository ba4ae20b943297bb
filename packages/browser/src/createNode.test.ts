import { createNode as createHub, isTroupeError, type Node } from '@troupe/node'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { WebSocket } from 'ws'
import { type BrowserNodeOptions, createNode } from './createNode.js'

// Real sockets: a Node hub on port 0 and a "tab" whose global WebSocket is `ws`'s. The page's other globals
// (window events, navigator, document) are stubbed where a test needs them.
const nodes: Node[] = []
beforeEach(() => {
  vi.stubGlobal('WebSocket', WebSocket)
})
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((node) => node.close()))
  vi.unstubAllGlobals()
})

async function hub(id: string): Promise<Node> {
  const node = await createHub({ id, listen: { host: '127.0.0.1', port: 0 } })
  nodes.push(node)
  return node
}

async function tab(options: BrowserNodeOptions): Promise<Node> {
  const node = await createNode(options)
  nodes.push(node)
  return node
}

/** A stand-in page on globalThis: window events, navigator.onLine, a document; counts listeners. */
function stubPage() {
  const window = new EventTarget()
  const document = Object.assign(new EventTarget(), { visibilityState: 'visible' })
  const navigator = { onLine: true }
  let listening = 0
  const count = (target: EventTarget) => {
    const add = target.addEventListener.bind(target)
    const remove = target.removeEventListener.bind(target)
    return {
      addEventListener: (...args: Parameters<EventTarget['addEventListener']>) => {
        listening++
        add(...args)
      },
      removeEventListener: (...args: Parameters<EventTarget['removeEventListener']>) => {
        listening--
        remove(...args)
      },
    }
  }
  const { addEventListener, removeEventListener } = count(window)
  vi.stubGlobal('addEventListener', addEventListener)
  vi.stubGlobal('removeEventListener', removeEventListener)
  vi.stubGlobal('navigator', navigator)
  vi.stubGlobal('document', Object.assign(document, count(document)))
  return {
    listening: () => listening,
    offline() {
      navigator.onLine = false
      window.dispatchEvent(new Event('offline'))
    },
    online() {
      navigator.onLine = true
      window.dispatchEvent(new Event('online'))
    },
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

describe('createNode (browser)', () => {
  it('rejects with BAD_ARGUMENT without a seed, or with a seed that is not a ws:// or wss:// URL', async () => {
    const cases: Array<[unknown, string]> = [
      [{}, 'bad seeds undefined: a browser node needs at least one hub URL'],
      [{ seeds: [] }, 'bad seeds []: a browser node needs at least one hub URL'],
      [
        { seeds: ['http://127.0.0.1:9101'] },
        'bad seed "http://127.0.0.1:9101": expected a ws:// or wss:// URL',
      ],
      [{ seeds: ['ws://127.0.0.1:9101', 42] }, 'bad seed 42: expected a ws:// or wss:// URL'],
    ]
    for (const [options, message] of cases) {
      const error = await rejection(createNode(options as BrowserNodeOptions))
      expect(isTroupeError(error, 'BAD_ARGUMENT')).toBe(true)
      expect((error as Error).message).toContain(message)
    }
  })

  it('joins a hub as a client and messages actors both ways', async () => {
    const hub1 = await hub('hub1')
    hub1.spawn('echo', { receive: (msg, ctx) => ctx.reply(msg) })
    const node = await tab({ id: 'tab1', seeds: [hub1.url!], token: 'secret' })
    const states: string[] = []
    node.on('connection', (state) => states.push(state))
    node.spawn('presence', { receive: (msg, ctx) => ctx.reply({ seen: msg }) })

    expect(node.connectionState).toBe('online')
    expect(node.members().find((m) => m.id === 'tab1')?.role).toBe('client')
    expect(await node.ask('echo@hub1', 'hi', { timeoutMs: 2_000 })).toBe('hi')
    expect(await hub1.ask('presence@tab1', 1, { timeoutMs: 2_000 })).toEqual({ seen: 1 })
    // like member events, the state reached while createNode ran reaches a listener added right after it
    expect(states).toEqual(['online'])
  })

  it('tells the node when the page goes offline and online, and stops watching the page on close', async () => {
    const page = stubPage()
    const hub1 = await hub('hub1')
    const node = await tab({ id: 'tab1', seeds: [hub1.url!], reconnect: { initialMs: 10, maxMs: 50 } })
    expect(page.listening()).toBeGreaterThan(0)
    const states: string[] = []
    node.on('connection', (state) => states.push(state))

    await vi.waitFor(() => expect(states).toEqual(['online']))

    page.offline()
    // the browser's word wins: offline at once, although the open WebSocket outlives the offline flag
    expect(node.connectionState).toBe('offline')
    expect(node.metrics().peers.hub1?.connected).toBe(true)
    await hub1.close()
    await vi.waitFor(() => expect(node.metrics().peers.hub1?.connected).not.toBe(true))
    expect(node.connectionState).toBe('offline')
    page.online()
    expect(node.connectionState).toBe('connecting') // dialing again at once, with no hub to answer
    expect(states).toEqual(['online', 'offline', 'connecting'])

    await node.close()
    expect(page.listening()).toBe(0)
    page.offline()
    expect(states).toEqual(['online', 'offline', 'connecting'])
  })

  it('stops watching the page on await using too, and close stays idempotent', async () => {
    const page = stubPage()
    const hub1 = await hub('hub1')
    {
      await using node = await createNode({ id: 'tab1', seeds: [hub1.url!] })
      expect(page.listening()).toBeGreaterThan(0)
      expect(node.close()).toBe(node.close())
    }
    expect(page.listening()).toBe(0)
  })
})
