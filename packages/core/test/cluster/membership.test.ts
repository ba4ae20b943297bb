import { afterEach, describe, expect, it } from 'vitest'
import { Membership } from '../../src/cluster/membership.js'
import type { MemberRecord } from '../../src/wire/envelope.js'
import { type MemoryCluster, memberEvents, memoryCluster, statusOf } from './harness.js'

let cluster: MemoryCluster
afterEach(() => cluster?.closeAll())

describe('membership', () => {
  it('joins through a seed: both sides list each other up, with incarnations', async () => {
    cluster = memoryCluster()
    const a = await cluster.start('a')
    const aEvents = memberEvents(a)
    const b = await cluster.start('b', ['a'])
    await cluster.run(100)
    expect(a.members().map((m) => [m.id, m.role, m.status])).toEqual([
      ['a', 'hub', 'up'],
      ['b', 'hub', 'up'],
    ])
    expect(b.members().map((m) => m.id)).toEqual(['b', 'a'])
    expect(b.members()[1]!.incarnation).toBe(a.members()[0]!.incarnation)
    expect(aEvents).toEqual(['member-up b'])
    expect(a.url).toBe('mem://a')
  })

  it('makes a late joiner known to every member, and the hubs form a full mesh', async () => {
    cluster = memoryCluster()
    const a = await cluster.start('a')
    const b = await cluster.start('b', ['a'])
    await cluster.run(500)
    const c = await cluster.start('c', ['b'])
    await cluster.run(1_000)
    for (const node of [a, b, c]) {
      expect(
        node
          .members()
          .map((m) => `${m.id}:${m.status}`)
          .sort(),
      ).toEqual(['a:up', 'b:up', 'c:up'])
      expect(Object.keys(node.metrics().peers).sort()).toEqual(['a', 'b', 'c'].filter((id) => id !== node.id))
    }
    expect(a.metrics().peers.c!.connected).toBe(true)
  })

  it('reports a killed peer member-down within downAfterMs plus one heartbeat, on every other node', async () => {
    cluster = memoryCluster()
    const a = await cluster.start('a')
    const b = await cluster.start('b', ['a'])
    const c = await cluster.start('c', ['a'])
    await cluster.run(1_000)
    const seenDown = new Map<string, number>()
    for (const node of [a, b])
      node.on('member-down', (m) => m.id === 'c' && seenDown.set(node.id, cluster.clock.now()))
    const killedAt = cluster.clock.now()
    cluster.kill('c')
    await cluster.run(3_000, 10)
    expect([...seenDown.keys()].sort()).toEqual(['a', 'b'])
    for (const at of seenDown.values()) expect(at - killedAt).toBeLessThanOrEqual(1_500 + 250)
    expect(statusOf(a, 'c')).toBe('down')
    expect(statusOf(b, 'c')).toBe('down')
    expect(c.members()[0]!.id).toBe('c')
  })

  it('says member-left, not member-down, when a peer closes cleanly', async () => {
    cluster = memoryCluster()
    const a = await cluster.start('a')
    const b = await cluster.start('b', ['a'])
    await cluster.run(200)
    const events = memberEvents(a)
    const closing = b.close()
    await cluster.run(3_000)
    await closing
    cluster.nodes.delete('b')
    expect(events).toEqual(['member-left b'])
    expect(statusOf(a, 'b')).toBe('left')
  })

  it('sees a restarted node as up again with a new incarnation', async () => {
    cluster = memoryCluster()
    const a = await cluster.start('a')
    await cluster.start('b', ['a'], { incarnation: 1 })
    await cluster.run(200)
    const events = memberEvents(a)
    cluster.kill('b')
    await cluster.run(2_000)
    await cluster.start('b', ['a'], { incarnation: 2 })
    await cluster.run(500)
    expect(events).toEqual(['member-down b', 'member-up b'])
    expect(a.members().find((m) => m.id === 'b')).toMatchObject({ status: 'up', incarnation: 2 })
  })

  it('keeps dialing a seed it could not reach, though another seed linked it to the cluster', async () => {
    cluster = memoryCluster()
    // h2 and h3 have no seeds: only h1, which lists both, can bring them together
    const h2 = await cluster.start('h2')
    const h3 = await cluster.start('h3')
    cluster.net.partition('h1', 'h2')
    const h1 = await cluster.start('h1', ['h2', 'h3'])
    await cluster.run(2_000)
    expect(statusOf(h1, 'h3')).toBe('up')
    expect(statusOf(h1, 'h2')).toBeUndefined()
    cluster.net.heal()
    await cluster.run(3_000)
    for (const [node, others] of [
      [h1, ['h2', 'h3']],
      [h2, ['h1', 'h3']],
      [h3, ['h1', 'h2']],
    ] as const) {
      for (const other of others)
        expect(`${node.id} sees ${other} ${statusOf(node, other)}`).toBe(`${node.id} sees ${other} up`)
    }
  })

  it('dials a smaller-id hub itself when that hub restarted and no longer knows it', async () => {
    cluster = memoryCluster()
    const h2 = await cluster.start('h2')
    await cluster.start('h1', ['h2'], { incarnation: 1 })
    await cluster.run(500)
    cluster.kill('h1')
    await cluster.run(2_000)
    // back without seeds: h1 (the one to dial, as the smaller id) does not know h2 any more
    const h1 = await cluster.start('h1', [], { incarnation: 2 })
    await cluster.run(6_000)
    expect(statusOf(h1, 'h2')).toBe('up')
    expect(h2.members().find((m) => m.id === 'h1')).toMatchObject({ status: 'up', incarnation: 2 })
  })
})

describe('a hub merging what other hubs say of a client', () => {
  const row = (status: 'up' | 'suspect' | 'down', via: string): MemberRecord => ({
    id: 'c',
    role: 'client',
    incarnation: 7,
    status,
    via,
    url: undefined,
    principal: undefined,
    kinds: [],
  })
  const hub = () =>
    new Membership(
      { ...row('up', 'h3'), id: 'h3', role: 'hub', via: undefined },
      { event: () => {}, changed: () => {}, freed: () => {} },
    )
  const notLinked = () => false

  it("ignores the hub a client left when it says it lost the client, after the client's new hub said it has it", () => {
    const membership = hub()
    membership.merge(row('up', 'h1'), 'h1', notLinked, 0)
    membership.merge(row('up', 'h2'), 'h2', notLinked, 1)
    // h1's gossip of its dropped link, overtaken by the move it reports
    membership.merge(row('suspect', 'h1'), 'h1', notLinked, 2)
    membership.merge(row('down', 'h1'), 'h1', notLinked, 3)
    expect(membership.get('c')).toMatchObject({ status: 'up', via: 'h2' })
    // the hub it is behind now is believed
    membership.merge(row('down', 'h2'), 'h2', notLinked, 4)
    expect(membership.get('c')).toMatchObject({ status: 'down', via: 'h2' })
  })

  it('lists the hubs, itself first, without the clients, as rows come, change role and are forgotten', () => {
    const membership = hub()
    membership.merge({ ...row('up', 'h1'), id: 'h1', role: 'hub', via: undefined }, 'h1', notLinked, 0)
    membership.merge(row('up', 'h1'), 'h1', notLinked, 1)
    membership.merge({ ...row('up', 'h2'), id: 'h2', role: 'hub', via: undefined }, 'h1', notLinked, 2)
    expect(membership.hubs().map((m) => m.id)).toEqual(['h3', 'h1', 'h2'])
    // h2 comes back as a client: a newer incarnation of it
    membership.merge({ ...row('up', 'h1'), id: 'h2', incarnation: 8 }, 'h1', notLinked, 3)
    membership.forget('h1')
    expect(membership.hubs().map((m) => m.id)).toEqual(['h3'])
  })
})
