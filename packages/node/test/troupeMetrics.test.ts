// registerTroupeMetrics and createNode's `metrics` and `listen.onRequest`, with real nodes on real sockets
// in this process.
import { createNode, type Node, registerTroupeMetrics } from '@troupe/node'
import { waitFor } from '@troupe/test-support'
import { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { type Family, parsePrometheusText, seriesValue } from './support/prometheusText.js'

const nodes: Node[] = []
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((node) => node.close()))
})
async function start(options: Parameters<typeof createNode>[0]): Promise<Node> {
  const node = await createNode({ closeGraceMs: 200, ...options })
  nodes.push(node)
  return node
}
const listen = { host: '127.0.0.1', port: 0 }
const read = async (registry: Registry): Promise<Map<string, Family>> =>
  parsePrometheusText(await registry.metrics())
const counters = (families: Map<string, Family>) =>
  [...families.values()]
    .filter((f) => f.type === 'counter')
    .flatMap((f) => f.series.map((s) => ({ f: f.name, ...s })))

describe('registerTroupeMetrics', () => {
  it('keeps counters growing when the links they sum go away (a client leaves)', async () => {
    const registry = new Registry()
    const hub = await start({ id: 'hub', listen, metrics: { registry } })
    hub.spawn('echo', { receive: (message, ctx) => ctx.reply(message) })
    const c1 = await start({ id: 'c1', seeds: [hub.url!] })
    const c2 = await start({ id: 'c2', seeds: [hub.url!] })
    for (let i = 0; i < 20; i++) await Promise.all([c1.ask('echo@hub', i), c2.ask('echo@hub', i)])
    const before = await read(registry)
    const bytesIn = seriesValue(before, 'troupe_link_received_bytes_total', { peer_role: 'client' })!
    expect(bytesIn).toBeGreaterThan(0)

    await c1.close()
    await waitFor(() => hub.metrics().peers.c1 === undefined, { what: 'the hub drops the link of c1' })
    await c2.ask('echo@hub', 'one more')
    const after = await read(registry)
    for (const series of counters(before)) {
      expect(
        seriesValue(after, series.f, series.labels),
        `${series.f}${JSON.stringify(series.labels)}`,
      ).toBeGreaterThanOrEqual(series.value)
    }
    expect(seriesValue(after, 'troupe_link_received_bytes_total', { peer_role: 'client' })).toBeGreaterThan(
      bytesIn,
    )
    expect(seriesValue(after, 'troupe_links', { peer_role: 'client', state: 'up' })).toBe(1)
  })

  it('counts from the node start, refuses a second node in one registry, and unregisters', async () => {
    const node = await start({ id: 'solo' })
    node.spawn('echo', { receive: (message, ctx) => ctx.reply(message) })
    for (let i = 0; i < 3; i++) node.send('nobody@solo', i)
    const registry = new Registry()
    const registered = registerTroupeMetrics(node, registry)
    expect(seriesValue(await read(registry), 'troupe_dead_letters_total', { reason: 'no-such-actor' })).toBe(
      3,
    )
    expect(() => registerTroupeMetrics(node, registry)).toThrow(
      expect.objectContaining({ code: 'BAD_ARGUMENT', message: expect.stringContaining('troupe_node_info') }),
    )
    registered.unregister()
    expect((await registry.metrics()).trim()).toBe('')
    registerTroupeMetrics(node, registry)
    expect(seriesValue(await read(registry), 'troupe_actors')).toBe(1)
  })

  it('counts the asks a node reports as `ask-settled`, by outcome, with their latency', async () => {
    const node = await start({ id: 'asker' })
    const registry = new Registry()
    registerTroupeMetrics(node, registry)
    // the event core is to emit when an ask ends (see docs/observability.md): emitted here by hand
    const emit = (node as unknown as { emit(name: string, event: unknown): boolean }).emit.bind(node)
    emit('ask-settled', { outcome: 'ok', durationMs: 3 })
    emit('ask-settled', { outcome: 'ok', durationMs: 40 })
    emit('ask-settled', { outcome: 'ASK_TIMEOUT', durationMs: 5_000 })
    const families = await read(registry)
    expect(seriesValue(families, 'troupe_asks_total', { outcome: 'ok' })).toBe(2)
    expect(seriesValue(families, 'troupe_asks_total', { outcome: 'ask_timeout' })).toBe(1)
    const ok = families.get('troupe_ask_duration_seconds')?.series.find((s) => s.labels.outcome === 'ok')
    expect(ok?.sum).toBeCloseTo(0.043)
    expect(ok?.buckets?.find(([le]) => le === 0.005)?.[1]).toBe(1)
    expect(ok?.buckets?.find(([le]) => le === 0.05)?.[1]).toBe(2)
  })

  it('exports the depth of the mailboxes', async () => {
    const node = await start({ id: 'mailboxes' })
    const registry = new Registry()
    registerTroupeMetrics(node, registry)
    // an actor that holds its first message: the ones after it wait in the mailbox
    let release: () => void = () => {}
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const busy = node.spawn('busy', { receive: () => held })
    for (let i = 0; i < 8; i++) busy.send(i)
    node.spawn('idle', { receive() {} }).send(0)
    await new Promise((resolve) => setTimeout(resolve, 10))
    const families = await read(registry)
    expect(seriesValue(families, 'troupe_mailbox_messages')).toBe(7)
    expect(seriesValue(families, 'troupe_mailbox_max_messages')).toBe(7)
    release()
  })
})

describe("createNode's HTTP endpoints", () => {
  it('refuses `metrics` without `listen`', async () => {
    await expect(createNode({ metrics: true })).rejects.toThrow(
      expect.objectContaining({ code: 'BAD_ARGUMENT' }),
    )
  })

  it('serves /metrics with the default process metrics, passes other paths to listen.onRequest, and keeps the upgrade', async () => {
    const hub = await start({
      id: 'hub',
      listen: { ...listen, onRequest: (request, response) => response.end(`app: ${request.url}`) },
      metrics: true,
      seeds: [],
    })
    const http = hub.url!.replace(/^ws/, 'http')
    const families = parsePrometheusText(await (await fetch(`${http}/metrics`)).text())
    expect(families.has('process_cpu_user_seconds_total')).toBe(true)
    expect(seriesValue(families, 'troupe_node_info', { node: 'hub', role: 'hub' })).toBe(1)
    expect(await (await fetch(`${http}/app/page?x=1`)).text()).toBe('app: /app/page?x=1')
    const head = await fetch(`${http}/readyz`, { method: 'HEAD' })
    expect([head.status, await head.text()]).toEqual([200, ''])
    // a WebSocket that is not a Troupe node still gets through the upgrade (the hub then closes it)
    const socket = new WebSocket(hub.url!)
    await new Promise((resolve, reject) => {
      socket.once('open', resolve)
      socket.once('error', reject)
    })
    socket.close()
  })

  it('is ready at once for a hub whose only seed is itself', async () => {
    const { freePort } = await import('@troupe/test-support')
    const port = await freePort()
    const hub = await start({
      id: 'alone',
      listen: { host: '127.0.0.1', port },
      seeds: [`ws://127.0.0.1:${port}`],
    })
    const response = await fetch(`${hub.url!.replace(/^ws/, 'http')}/readyz`)
    expect([response.status, await response.text()]).toEqual([200, 'ready\n'])
  })
})
