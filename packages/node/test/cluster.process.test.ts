import { createServer } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { type NodeProcess, startNode } from './support/processes.js'
import { createTcpProxy, type TcpProxy } from './support/tcpProxy.js'

const running: NodeProcess[] = []
const proxies: TcpProxy[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((node) => node.kill()))
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()))
})

async function node(id: string, options: Record<string, unknown> = {}) {
  const started = await startNode(id, { listen: { host: '127.0.0.1', port: 0 }, ...options })
  running.push(started)
  return started
}

const memberUp = (id: string) => (e: { event: string; id?: string }) => e.event === 'member-up' && e.id === id
const range = (n: number) => Array.from({ length: n }, (_, i) => i)
const portOf = (url: string) => Number(new URL(url).port)

/** Polls `node` until it has received `count` messages from `from`, then returns them all. */
async function receivedFrom(
  node: NodeProcess,
  from: string,
  count: number,
  timeoutMs = 20_000,
): Promise<number[]> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const { received } = await node.request<{ received: Record<string, number[]> }>({ cmd: 'received' })
    const list = received[from] ?? []
    if (list.length >= count || Date.now() > until) return list
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('a cluster of Node processes over WebSocket', () => {
  it('discovers a late joiner on every node; a SIGKILLed node is member-down everywhere and gets its held messages after a restart', async () => {
    const a = await node('a')
    const b = await node('b', { seeds: [a.url] })
    await a.waitFor(memberUp('b'))
    const c = await node('c', { seeds: [b.url] }) // the late joiner knows only b
    await Promise.all([a.waitFor(memberUp('c')), b.waitFor(memberUp('c'))])
    for (const member of [a, b, c]) {
      const { members } = await member.request<{ members: Array<{ id: string; status: string }> }>({
        cmd: 'members',
      })
      expect(members.map((m) => `${m.id}:${m.status}`).sort()).toEqual(['a:up', 'b:up', 'c:up'])
    }
    expect(await a.request({ cmd: 'ask', to: 'echo@c', message: 'hi', timeoutMs: 2_000 })).toEqual({
      answer: 'hi',
      reply: expect.any(Number),
    })

    const killedAt = Date.now()
    await c.kill('SIGKILL')
    const downs = await Promise.all(
      [a, b].map((n) => n.waitFor((e) => e.event === 'member-down' && e.id === 'c', 5_000)),
    )
    console.log(`member-down after SIGKILL, ms: ${downs.map((e) => (e.at as number) - killedAt).join(', ')}`)

    await a.request({ cmd: 'stream', to: 'log@c', count: 200, perTick: 50, tickMs: 10 })
    await a.waitFor((e) => e.event === 'streamed')
    const restarted = await node('c', { listen: { host: '127.0.0.1', port: portOf(c.url) }, seeds: [a.url] })
    expect(await receivedFrom(restarted, 'a', 200)).toEqual(range(200))
    expect(a.events.filter((e) => e.event === 'deadletter')).toEqual([])
  })

  it('loses nothing, duplicates nothing and keeps order when a TCP proxy cuts the link mid-stream and restores it', async () => {
    const port = await freePort()
    const proxy = await createTcpProxy({ targetHost: '127.0.0.1', targetPort: port })
    proxies.push(proxy)
    // b is reachable only through the proxy: it says so, and a dials it there
    const b = await node('b', { listen: { host: '127.0.0.1', port }, advertiseUrl: proxy.url('ws') })
    const a = await node('a', { seeds: [proxy.url('ws')] })
    await a.waitFor(memberUp('b'))
    const count = 5_000
    await a.request({ cmd: 'stream', to: 'log@b', count, perTick: 50, tickMs: 10 })
    await b.request({ cmd: 'stream', to: 'log@a', count, perTick: 50, tickMs: 10 })
    await new Promise((resolve) => setTimeout(resolve, 300))
    proxy.cut()
    await new Promise((resolve) => setTimeout(resolve, 1_200))
    proxy.restore()
    await Promise.all([
      a.waitFor((e) => e.event === 'streamed', 30_000),
      b.waitFor((e) => e.event === 'streamed', 30_000),
    ])
    const [atB, atA] = await Promise.all([receivedFrom(b, 'a', count), receivedFrom(a, 'b', count)])
    expect(atB).toEqual(range(count))
    expect(atA).toEqual(range(count))
    const { metrics } = await a.request<{
      metrics: { peers: Record<string, { connects: number; resent: number }> }
    }>({
      cmd: 'metrics',
    })
    expect(metrics.peers.b!.connects).toBeGreaterThanOrEqual(2) // the cut really broke the connection
    console.log(`after the cut: a reconnected to b, re-sent ${metrics.peers.b!.resent} envelopes`)
    expect([...a.events, ...b.events].filter((e) => e.event === 'deadletter')).toEqual([])
  })

  it('reports a clean close as member-left, not member-down', async () => {
    const a = await node('a')
    const b = await node('b', { seeds: [a.url] })
    await a.waitFor(memberUp('b'))
    await b.request({ cmd: 'close' })
    await a.waitFor((e) => e.event === 'member-left' && e.id === 'b')
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    expect(a.events.filter((e) => e.event === 'member-down')).toEqual([])
  })
})
