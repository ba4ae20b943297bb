import {
  type EntityFactory,
  isTroupeError,
  memoryStorage,
  type Node,
  type Storage,
  TroupeError,
} from '@troupe/core'
import { afterEach, describe, expect, it } from 'vitest'
import { deadLetters, type MemoryCluster, memoryCluster, recorder, settled } from './harness.js'

let cluster: MemoryCluster | undefined
afterEach(async () => {
  await cluster?.closeAll()
  cluster = undefined
})

/** A counter entity that says which node it ran on, and counts its activations. */
function counterOf(
  activations: Map<string, number>,
): EntityFactory<'inc' | 'get', { n: number; on: string }> {
  return (key) => ({
    started(ctx) {
      activations.set(key, (activations.get(key) ?? 0) + 1)
      void ctx
    },
    stopped() {
      activations.set(key, (activations.get(key) ?? 1) - 1)
    },
    receive(msg, ctx) {
      const state = ctx.state as { n?: number }
      if (msg === 'inc') state.n = (state.n ?? 0) + 1
      ctx.reply({ n: state.n ?? 0, on: ctx.self.address })
    },
  })
}

async function hubs(ids: string[], activations: Map<string, number>) {
  const c = memoryCluster()
  cluster = c
  const storage = memoryStorage({ clock: c.clock })
  const nodes: Node[] = []
  for (const id of ids) {
    const node = await c.start(id, nodes.length === 0 ? [] : [ids[0]!], { storage })
    node.define('counter', counterOf(activations), { idleMs: 30_000 })
    nodes.push(node)
  }
  await c.run(500)
  return { c, nodes, storage }
}

/** Where an entity lives now, by which hub has it active. */
const ownerOf = (nodes: Node[]) => nodes.filter((n) => n.metrics().entities.active > 0).map((n) => n.id)

describe('entities', () => {
  it('counts from any node, a client with no storage included, on the one node that owns the key', async () => {
    const activations = new Map<string, number>()
    const { c, nodes } = await hubs(['h1', 'h2', 'h3'], activations)
    const tab = await c.start('tab', ['h1'], { role: 'client' })
    await c.run(300)
    const results: number[] = []
    for (const asker of [nodes[0]!, nodes[1]!, tab, nodes[2]!]) {
      const counter = asker.entity<'inc', { n: number }>('counter', 'user-42')
      const asked = counter.ask('inc')
      await c.run(50)
      results.push((await asked).n)
    }
    expect(results).toEqual([1, 2, 3, 4])
    expect(ownerOf(nodes)).toHaveLength(1)
    expect(activations.get('user-42')).toBe(1)
  })

  it('fails over when its owner is killed: a sequence of increments sees 1, 2, 3 ... with no failure, gap or repeat', async () => {
    const activations = new Map<string, number>()
    const { c, nodes } = await hubs(['h1', 'h2', 'h3'], activations)
    const tab = await c.start('tab', ['h1', 'h2', 'h3'], { role: 'client' })
    await c.run(300)
    const counter = tab.entity<'inc', { n: number }>('counter', 'k')
    const seen: number[] = []
    let killed: string | undefined
    let killedAt = 0
    let answeredAfterKill = 0
    for (let i = 0; i < 30; i++) {
      if (i === 10) {
        killed = ownerOf(nodes)[0]!
        // kill the owner while an ask is on its way to it
        const asked = counter.ask('inc', { timeoutMs: 10_000 })
        c.kill(killed)
        killedAt = c.clock.now()
        await c.run(3_000, 25)
        seen.push((await asked).n)
        answeredAfterKill = c.clock.now()
        continue
      }
      const asked = counter.ask('inc', { timeoutMs: 10_000 })
      await c.run(30, 10)
      seen.push((await asked).n)
    }
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => i + 1))
    const alive = nodes.filter((n) => n.id !== killed)
    expect(ownerOf(alive)).toHaveLength(1)
    expect(alive.reduce((n, node) => n + node.metrics().entities.failovers, 0)).toBe(1)
    expect(answeredAfterKill - killedAt).toBeLessThanOrEqual(3_000)
  })

  it('moves only the keys a joining hub now owns; asks during the move wait and none fails', async () => {
    const activations = new Map<string, number>()
    const { c, nodes, storage } = await hubs(['h1', 'h2'], activations)
    const keys = Array.from({ length: 40 }, (_, i) => `key-${i}`)
    const asker = nodes[0]!
    const rounds = 20
    const counts = new Map<string, number[]>(keys.map((key) => [key, []]))
    let h3: Node | undefined
    for (let round = 0; round < rounds; round++) {
      if (round === 5) {
        // a hub joins while every key is being asked: some keys move to it
        h3 = await c.start('h3', ['h1'], { storage })
        h3.define('counter', counterOf(activations), { idleMs: 30_000 })
      }
      const asked = keys.map((key) =>
        asker.entity<'inc', { n: number }>('counter', key).ask('inc', { timeoutMs: 10_000 }),
      )
      const answers = await settled(c, asked)
      answers.forEach((answer, i) => {
        counts.get(keys[i]!)!.push(answer.n)
      })
      for (const value of activations.values()) expect(value).toBeLessThanOrEqual(1)
    }
    // every ask answered, each key counted 1, 2, 3 ... across the move: none failed, none applied twice
    for (const key of keys) expect(counts.get(key)).toEqual(Array.from({ length: rounds }, (_, i) => i + 1))
    const moved = h3!.metrics().entities.activated
    expect(moved).toBeGreaterThan(0)
    expect(moved).toBeLessThan(keys.length) // only the keys the newcomer now owns
    expect(nodes.reduce((n, node) => n + node.metrics().entities.passivated, 0)).toBe(moved)
  })

  it('keeps renewing the leases it holds while entities moving away are still stopping', async () => {
    const c = memoryCluster()
    cluster = c
    const inner = memoryStorage({ clock: c.clock })
    // releases held until the end of the test: the passivations of the keys that move away do not finish
    const held: Array<() => void> = []
    let holding = true
    const storage: Storage = {
      ...inner,
      release: (lease) =>
        holding
          ? new Promise<void>((resolve) => held.push(() => void inner.release(lease).then(resolve)))
          : inner.release(lease),
    }
    // a handler that waits for the test: entities busy when h3 joins move only once idle, at a renewal tick
    let gate: Promise<void> = Promise.resolve()
    let open = () => {}
    const counterOn =
      (on: string): EntityFactory<'inc', { n: number; on: string }> =>
      () => ({
        async receive(_msg, ctx) {
          await gate
          const state = ctx.state as { n?: number }
          state.n = (state.n ?? 0) + 1
          ctx.reply({ n: state.n, on })
        },
      })
    const nodes: Node[] = []
    for (const id of ['h1', 'h2', 'h3']) {
      const node = await c.start(id, nodes.length === 0 ? [] : ['h1'], { storage })
      if (id !== 'h3') node.define('counter', counterOn(id), { idleMs: 30_000 })
      nodes.push(node)
    }
    await c.run(500)
    const keys = Array.from({ length: 30 }, (_, i) => `key-${i}`)
    const ask = () =>
      keys.map((key) =>
        nodes[2]!.entity<'inc', { n: number; on: string }>('counter', key).ask('inc', { timeoutMs: 10_000 }),
      )
    try {
      expect((await settled(c, ask())).map((answer) => answer.n)).toEqual(keys.map(() => 1))
      gate = new Promise<void>((resolve) => {
        open = resolve
      })
      const second = ask()
      await c.run(200)
      nodes[2]!.define('counter', counterOn('h3'), { idleMs: 30_000 })
      await c.run(200)
      open()
      expect((await settled(c, second)).map((answer) => answer.n)).toEqual(keys.map(() => 2))
      await c.run(5_000)

      const third = await settled(c, ask())
      expect(third.map((answer) => answer.n)).toEqual(keys.map(() => 3))
      const stayed = keys.filter((_, i) => third[i]!.on !== 'h3')
      expect(stayed.length).toBeGreaterThan(0)
      expect(stayed.length).toBeLessThan(keys.length)
      // the moves' releases still hang, yet the keys that stayed kept their leases: nobody could take them
      expect(held.length).toBe(keys.length - stayed.length)
      for (const key of stayed)
        expect(await inner.acquire(`counter:${key}`, 'intruder', 1_000)).toBeUndefined()
      expect(nodes.reduce((fenced, node) => fenced + node.metrics().entities.fenced, 0)).toBe(0)
    } finally {
      holding = false
      for (const release of held) release()
    }
  })

  it('keeps one activation across a partition: the cut-off owner keeps its lease, the others wait', async () => {
    const activations = new Map<string, number>()
    const { c, nodes } = await hubs(['h1', 'h2'], activations)
    const [h1, h2] = nodes as [Node, Node]
    await h1.entity('counter', 'p').ask('inc')
    const owner = ownerOf(nodes)[0]!
    const other = owner === 'h1' ? h2 : h1
    c.net.partition('h1', 'h2')
    await c.run(3_000, 25)
    // the other side thinks the owner is down and would take the key over, but the lease is held
    const asked = other
      .entity<'inc', { n: number }>('counter', 'p')
      .ask('inc', { timeoutMs: 4_000 })
      .then((r) => r.n)
      .catch((e: unknown) => (isTroupeError(e) ? e.code : e))
    await c.run(1_000, 25)
    expect(activations.get('p')).toBe(1)
    c.net.heal()
    await c.run(5_000, 25)
    expect([2, 'ASK_TIMEOUT']).toContain(await asked)
    expect(activations.get('p')).toBeLessThanOrEqual(1)
  })

  it('refuses a kind defined twice, a node without storage, and rejects an ask to a kind nobody hosts', async () => {
    const activations = new Map<string, number>()
    const { c, nodes } = await hubs(['h1'], activations)
    expect(() => nodes[0]!.define('counter', counterOf(activations))).toThrow(/"counter" is defined already/)
    const bare = await c.start('bare', ['h1'])
    expect(() => bare.define('counter', counterOf(activations))).toThrow(/has no storage/)
    const letters = deadLetters(bare)
    const asked = bare
      .entity('nothing', 'x')
      .ask(1, { timeoutMs: 10_000 })
      .catch((e: unknown) => (isTroupeError(e) ? [e.code, e.reason] : e))
    const sent = bare.entity('nothing', 'y').send(1)
    await c.run(2_000)
    expect(await asked).toEqual(['NO_SUCH_KIND', 'no-such-kind'])
    expect(sent).toBe(true)
    expect(letters.map((l) => [l.to, l.reason])).toEqual([['entity:nothing:y', 'no-such-kind']])
  })

  it('lets a tab host a kind only when it opts in and its hub allows it', async () => {
    const c = memoryCluster()
    cluster = c
    const storage = memoryStorage({ clock: c.clock })
    const activations = new Map<string, number>()
    const hub = await c.start('h1', [], { storage })
    hub.define('doc', counterOf(activations), { clients: true })
    hub.define('counter', counterOf(activations))
    const tab = await c.start('tab', ['h1'], { role: 'client', storage })
    tab.define('doc', counterOf(activations), { clients: true })
    tab.define('counter', counterOf(activations), { clients: true })
    await c.run(500)
    const hostsOf = (kind: string) =>
      hub
        .members()
        .filter((m) => m.kinds.includes(kind))
        .map((m) => m.id)
        .sort()
    expect(hostsOf('doc')).toEqual(['h1', 'tab'])
    expect(hostsOf('counter')).toEqual(['h1']) // the hub did not let clients host counters
    const keys = Array.from({ length: 40 }, (_, i) => `k${i}`)
    const answers = await settled(
      c,
      keys.map((key) => hub.entity<'inc', { n: number; on: string }>('doc', key).ask('inc')),
    )
    expect(answers.every((a) => a.n === 1)).toBe(true)
    // rendezvous hashing spreads the keys over both hosts
    expect(hub.metrics().entities.active).toBeGreaterThan(5)
    expect(tab.metrics().entities.active).toBeGreaterThan(5)
    expect(hub.metrics().entities.active + tab.metrics().entities.active).toBe(40)
  })

  it('answers every message once applied, and lets what a handler sent leave only once its change is saved', async () => {
    const c = memoryCluster()
    cluster = c
    const storage = memoryStorage({ clock: c.clock })
    let failWrites = false
    const flaky: Storage = {
      ...storage,
      acquire: (...args) => storage.acquire(...args),
      renew: (...args) => storage.renew(...args),
      release: (...args) => storage.release(...args),
      read: (...args) => storage.read(...args),
      write: (...args) =>
        failWrites ? Promise.reject(new TroupeError('STORAGE', 'the disk is gone')) : storage.write(...args),
    }
    const hub = await c.start('h1', [], { storage: flaky })
    hub.on('actor-error', () => {}) // the failed write, expected
    const heard = recorder(hub)
    hub.define('note', () => ({
      receive(text: string, ctx) {
        ctx.state.text = text // no reply: the runtime answers undefined
        ctx.send('log@h1', text)
      },
    }))
    await c.run(100)
    const first = hub.entity<string, undefined>('note', 'n').ask('saved')
    await c.run(200)
    expect(await first).toBeUndefined()
    expect(heard).toEqual(['saved'])
    failWrites = true
    const second = hub
      .entity<string, undefined>('note', 'n')
      .ask('lost')
      .catch((e: unknown) => (isTroupeError(e) ? e.code : e))
    await c.run(200)
    expect(await second).toBe('HANDLER_ERROR') // its cause: STORAGE
    expect(heard).toEqual(['saved']) // the change was not saved: nobody heard of it
  })

  it('keeps an ask from a tab that has lost its only hub waiting for a hub, rather than finding no host', async () => {
    const c = memoryCluster()
    cluster = c
    const storage = memoryStorage({ clock: c.clock })
    const activations = new Map<string, number>()
    const h1 = await c.start('h1', [], { storage, incarnation: 1 })
    h1.define('counter', counterOf(activations))
    const tab = await c.start('tab', ['h1'], { role: 'client' })
    await c.run(500)
    c.kill('h1')
    await c.run(3_000)
    expect(tab.connectionState).not.toBe('online')
    const asked = tab
      .entity<'inc', { n: number }>('counter', 'k')
      .ask('inc', { timeoutMs: 10_000 })
      .catch((e: unknown) => (isTroupeError(e) ? e.code : e))
    await c.run(3_000) // longer than the grace for a kind nobody hosts
    const back = await c.start('h1', [], { storage, incarnation: 2 })
    back.define('counter', counterOf(activations))
    await c.run(3_000)
    expect(await asked).toMatchObject({ n: 1 })
  })

  it('does not hand a restarted owner the messages that were sent on to its successor', async () => {
    const activations = new Map<string, number>()
    const { c, nodes, storage } = await hubs(['h1', 'h2', 'h3'], activations)
    const tab = await c.start('tab', ['h1'], { role: 'client' })
    await c.run(300)
    const counter = tab.entity<'inc', { n: number }>('counter', 'k')
    const first = counter.ask('inc')
    await c.run(200)
    expect((await first).n).toBe(1)
    const owner = ownerOf(nodes)[0]!
    // the owner dies with an ask on its way to it; the ask goes on to the next owner and is answered there
    const asked = counter.ask('inc', { timeoutMs: 10_000 })
    c.kill(owner)
    await c.run(3_000, 25)
    expect((await asked).n).toBe(2)
    // the owner comes back: the message it never answered must not reach it (nobody waits for it)
    const back = await c.start(owner, [owner === 'h1' ? 'h2' : 'h1'], { storage })
    back.define('counter', counterOf(activations), { idleMs: 30_000 })
    await c.run(2_000)
    expect(back.metrics().entities.forwarded + back.metrics().entities.activated).toBe(0)
    const after = counter.ask('inc')
    await c.run(500)
    expect((await after).n).toBe(3)
  })
})
