// The inspector actor on a hub, asked by its clients over the in-memory network with a test clock.
import { createNode, type Node, type NodeOptions } from '@troupe/core'
import { createMemoryNetwork, createTestClock } from '@troupe/core/testing'
import { INSPECTOR_ACTOR, type NodeView, serveInspector } from '@troupe/inspector/serve'
import { afterEach, describe, expect, it } from 'vitest'
import { renderView } from '../src/render.js'

const clock = createTestClock()
const net = createMemoryNetwork({ clock, seed: 7 })
const nodes: Node[] = []
let nextNetwork = 0

afterEach(async () => {
  const closing = Promise.all(nodes.splice(0).map((node) => node.close()))
  let done = false
  void closing.then(() => {
    done = true
  })
  while (!done) await clock.advance(50)
})

/** A hub and `clients` clients of it, each named with a fresh prefix (ids are never reused across tests). */
async function cluster(clients: number, hubOptions: Partial<NodeOptions> = {}) {
  const prefix = `n${nextNetwork++}`
  const start = async (id: string, options: Partial<NodeOptions>) => {
    const node = await createNode({ id, clock, transport: net.transport(id), ...options })
    nodes.push(node)
    return node
  }
  const hub = await start(`${prefix}-hub`, {
    role: 'hub',
    // every client authenticates as a user: hubs keep that principal, the inspector must not show it
    authenticate: ({ nodeId }) => `user-of-${nodeId}`,
    ...hubOptions,
  })
  const tabs: Node[] = []
  for (let i = 0; i < clients; i++)
    tabs.push(await start(`${prefix}-tab${i}`, { role: 'client', seeds: [`mem://${hub.id}`] }))
  await run(500)
  return { hub, tabs }
}

async function run(ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 25) await clock.advance(25)
}

async function ask(from: Node, hub: Node, message: unknown): Promise<NodeView> {
  const answer = from.ask(`${INSPECTOR_ACTOR}@${hub.id}`, message, { timeoutMs: 2_000 })
  await run(200)
  return (await answer) as NodeView
}

describe('serveInspector', () => {
  it('answers with a bounded view: the hub and the asking tab always, then up to the limit, no principals', async () => {
    const { hub, tabs } = await cluster(5)
    serveInspector(hub, { cacheMs: 0 })
    const asker = tabs[4]!
    const view = await ask(asker, hub, { type: 'inspect', focus: [asker.id], limit: 2 })
    expect(view.id).toBe(hub.id)
    expect(view.role).toBe('hub')
    expect(view.memberCounts).toEqual({ 'hub up': 1, 'client up': 5 })
    const ids = view.members.rows.map((m) => m.id)
    expect(ids.slice(0, 2)).toEqual([hub.id, asker.id])
    expect(ids).toHaveLength(4)
    expect(view.members).toMatchObject({ total: 6, omitted: 2 })
    expect(hub.members().filter((m) => m.principal?.startsWith('user-of-'))).toHaveLength(5)
    expect(view.members.rows.every((m) => !('principal' in m))).toBe(true)
    expect(JSON.stringify(view)).not.toContain('user-of-')
    expect(view.links.rows[0]?.peer).toBe(asker.id)
    expect(view.links).toMatchObject({ total: 5, omitted: 2 })
    expect(view.figures).toMatchObject({ clients: 5, actors: 1 })
    expect(Object.keys(view.figures)).toEqual(
      Object.entries(hub.metrics())
        .filter(([, value]) => typeof value === 'number')
        .map(([name]) => name),
    )
  })

  it("shows the hub's groups, its entities' figures and the circuits of nodes it asks", async () => {
    const { hub, tabs } = await cluster(2)
    serveInspector(hub, { cacheMs: 0 })
    for (const tab of tabs) tab.spawn('presence', { started: (ctx) => ctx.join('presence'), receive() {} })
    hub.spawn('worker', { started: (ctx) => ctx.join('workers'), receive() {} })
    await run(300)
    const view = await ask(tabs[0]!, hub, { type: 'inspect' })
    expect(view.groups).toEqual({ presence: 2, workers: 1 })
    expect(view.entities).toMatchObject({ active: 0, activated: 0, failovers: 0 })
    expect(view.circuits).toEqual([])
    const html = renderView({ view, previous: undefined })
    expect(html).toContain('data-group="presence"')
    expect(html).toContain('data-group="workers"')
  })

  it('caps the rows at maxRows, and answers a malformed request with the defaults', async () => {
    const { hub, tabs } = await cluster(4)
    serveInspector(hub, { maxRows: 1, cacheMs: 0 })
    const capped = await ask(tabs[0]!, hub, { type: 'inspect', limit: 1_000 })
    expect(capped.members.rows[0]?.id).toBe(hub.id)
    expect(capped.members.rows).toHaveLength(2) // the hub itself, and one more
    expect(capped.members.omitted).toBe(3)
    for (const message of [
      'hello',
      42,
      null,
      { focus: 'not a list', limit: -3 },
      { focus: [1, 'x'.repeat(65)] },
    ]) {
      const view = await ask(tabs[1]!, hub, message)
      expect(view.members.total).toBe(5)
    }
  })

  it('lists the recent dead letters of the hub, without their messages', async () => {
    const { hub, tabs } = await cluster(1)
    serveInspector(hub, { cacheMs: 0, recentDeadLetters: 2 })
    for (const i of [1, 2, 3]) tabs[0]!.send(`nobody@${hub.id}`, { secret: `payload ${i}` })
    await run(200)
    const view = await ask(tabs[0]!, hub, { type: 'inspect' })
    expect(view.recentDeadLetters).toEqual([
      expect.objectContaining({ to: `nobody@${hub.id}`, reason: 'no-such-actor' }),
      expect.objectContaining({ to: `nobody@${hub.id}`, reason: 'no-such-actor' }),
    ])
    expect(JSON.stringify(view)).not.toContain('payload')
    expect(view.deadLetters['no-such-actor']).toBe(3)
  })

  it('reads the member table once per cacheMs, however many tabs ask', async () => {
    const { hub, tabs } = await cluster(2)
    let reads = 0
    const counting = overriding(hub, {
      members: () => {
        reads++
        return hub.members()
      },
    })
    serveInspector(counting, { cacheMs: 60_000 })
    await Promise.all(tabs.map((tab) => ask(tab, hub, { type: 'inspect' })))
    await ask(tabs[0]!, hub, { type: 'inspect' })
    expect(reads).toBe(1)
  })
})

/** `node` with some of its methods replaced (the others bound to it). */
function overriding(node: Node, methods: Partial<Node>): Node {
  return new Proxy(node, {
    get(target, key) {
      if (key in methods) return methods[key as keyof Node]
      const value = Reflect.get(target, key, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}
