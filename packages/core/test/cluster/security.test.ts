import type { TroupeError } from '@troupe/core'
import { type Envelope, encodeValue, FrameCodec, PROTOCOL_VERSION } from '@troupe/core/internal'
import { afterEach, describe, expect, it } from 'vitest'
import { deadLetters, type MemoryCluster, memberEvents, memoryCluster, recorder } from './harness.js'

const range = (n: number) => Array.from({ length: n }, (_, i) => i)

let cluster: MemoryCluster
afterEach(() => cluster?.closeAll())

const codec = new FrameCodec()
const hello = (from: string, token?: string): Envelope => ({
  type: 'hello',
  version: PROTOCOL_VERSION,
  from,
  incarnation: 1,
  role: 'client',
  token,
  url: undefined,
})

describe('hub security', () => {
  it('lets in what authenticate accepts, refuses the rest for good, and retries a transient failure', async () => {
    cluster = memoryCluster()
    let available = false
    const hub = await cluster.start('hub', [], {
      authenticate: ({ token, nodeId }) => {
        if (!available) throw new Error('auth service down')
        return token === `secret-${nodeId}` ? `user-${nodeId}` : false
      },
    })
    const good = await cluster.start('good', ['hub'], { role: 'client', token: () => 'secret-good' })
    const bad = await cluster.start('bad', ['hub'], { role: 'client', token: 'wrong' })
    const badStates: string[] = []
    bad.on('connection', (state) => badStates.push(state))
    await cluster.run(300)
    expect([good.connectionState, bad.connectionState]).toEqual(['connecting', 'connecting']) // 4503: retrying
    available = true
    await cluster.run(6_000)
    expect(good.connectionState).toBe('online')
    expect(bad.connectionState).toBe('refused')
    const opened = cluster.net.stats.opened
    await cluster.run(10_000)
    expect(cluster.net.stats.opened).toBe(opened) // a refusal is not retried
    expect(badStates).toEqual(['refused'])
    expect(hub.members().map((m) => m.id)).toEqual(['hub', 'good'])
  })

  it('does not let another principal take over a connected node id', async () => {
    cluster = memoryCluster()
    await cluster.start('hub', [], { authenticate: ({ token }) => token })
    const alice = await cluster.start('tab1', ['hub'], { role: 'client', token: 'alice' })
    await cluster.run(200)
    const connection = await cluster.net.transport('mallory').connect('mem://hub')
    const closed: Array<[number, string]> = []
    connection.onClose = (code, reason) => void closed.push([code, reason])
    connection.onMessage = () => {}
    connection.send(codec.encode([hello('tab1', 'mallory')]))
    await cluster.run(100)
    expect(closed).toEqual([[4409, 'node id "tab1" belongs to another principal']])
    expect(alice.connectionState).toBe('online')
  })

  it("drops and counts a client sending as another node, refuses it sending as another node's actor; the rest flows", async () => {
    cluster = memoryCluster()
    const hub = await cluster.start('hub')
    const seen = recorder(hub)
    const atHub = deadLetters(hub)
    const connection = await cluster.net.transport('sneaky').connect('mem://hub')
    const received: Envelope[] = []
    connection.onMessage = (bytes) => void received.push(...codec.decode(bytes))
    connection.send(codec.encode([hello('sneaky')]))
    const message = (seq: number, origin: string, from: string | undefined, body: number): Envelope => ({
      type: 'message',
      seq,
      base: 1,
      origin,
      originIncarnation: 1,
      to: 'log@hub',
      from,
      askId: 0,
      body: encodeValue(body),
      trace: undefined,
    })
    await cluster.run(50)
    connection.send(
      codec.encode([
        message(1, 'sneaky', undefined, 1),
        message(1, 'victim', undefined, 2),
        message(2, 'sneaky', 'admin@victim', 3),
        message(3, 'sneaky', 'me@sneaky', 4),
      ]),
    )
    await cluster.run(50)
    expect(seen).toEqual([1, 4])
    expect(hub.metrics().peers.sneaky!.rejected).toBe(2)
    expect(atHub.map((d) => [d.to, d.reason, d.detail])).toEqual([
      ['log@hub', 'rejected', 'client "sneaky" sent a message as "victim"'],
    ])
    expect(received.filter((e) => e.type === 'refused')).toEqual([
      {
        type: 'refused',
        dest: 'sneaky',
        node: 'hub',
        seq: 2,
        reason: 'rejected',
        detail: 'spoofed sender: client "sneaky" may not send as "admin@victim"',
      },
    ])
  })

  it('lets authorize refuse a client message to an actor: a rejected dead letter on both sides', async () => {
    cluster = memoryCluster()
    const hub = await cluster.start('hub', [], { authorize: ({ to }) => !to?.startsWith('admin@') })
    recorder(hub, 'admin')
    const open = recorder(hub, 'public')
    const tab = await cluster.start('tab', ['hub'], { role: 'client' })
    await cluster.run(200)
    const atTab = deadLetters(tab)
    tab.send('admin@hub', 'drop tables')
    tab.send('public@hub', 1)
    const asked = tab.ask('admin@hub', 'q').catch((e) => [e.code, e.reason])
    await cluster.run(100)
    expect(open).toEqual([1])
    expect(await asked).toEqual(['UNAUTHORIZED', 'rejected'])
    expect(atTab.map((d) => [d.to, d.reason])).toEqual([
      ['admin@hub', 'rejected'],
      ['admin@hub', 'rejected'],
    ])
  })

  it('heals a link between two hubs with a hub secret after a cut', async () => {
    cluster = memoryCluster()
    const options = { hubSecret: 'a-secret-of-16-chars-or-more' }
    const a = await cluster.start('a', [], options)
    await cluster.start('b', ['a'], options)
    await cluster.start('c', ['a'], options) // so b keeps a hub link while a-b is cut, and has no reason to dial its seed
    await cluster.run(1_000)
    cluster.net.cut('a', 'b')
    await cluster.run(2_000)
    cluster.net.heal()
    await cluster.run(8_000)
    expect(a.members().map((m) => `${m.id}:${m.status}`)).toEqual(['a:up', 'b:up', 'c:up'])
  })

  it('does not believe what a client says of the cluster', async () => {
    cluster = memoryCluster()
    const hub = await cluster.start('hub')
    const connection = await cluster.net.transport('liar').connect('mem://hub')
    connection.onMessage = () => {}
    connection.send(codec.encode([hello('liar')]))
    await cluster.run(50)
    const forged = {
      id: 'victim',
      role: 'client',
      incarnation: 9,
      status: 'up',
      via: 'nowhere',
      url: undefined,
      principal: undefined,
      kinds: [],
    } as const
    connection.send(codec.encode([{ type: 'gossip', members: [forged] }]))
    await cluster.run(50)
    expect(hub.members().map((m) => m.id)).toEqual(['hub', 'liar'])
  })

  it('refuses clients past maxClients with a retryable code', async () => {
    cluster = memoryCluster()
    const hub = await cluster.start('hub', [], { maxClients: 1 })
    await cluster.start('t1', ['hub'], { role: 'client' })
    const t2 = await cluster.start('t2', ['hub'], { role: 'client' })
    await cluster.run(1_000)
    expect(t2.connectionState).toBe('connecting')
    expect(hub.members().map((m) => m.id)).toEqual(['hub', 't1'])
  })
})

describe('one id, one live node', () => {
  it('refuses a second client with an id in use, for good; the first keeps working and nothing flaps', async () => {
    cluster = memoryCluster()
    const hub = await cluster.start('hub')
    const events = memberEvents(hub)
    const first = await cluster.start('twin', ['hub'], { role: 'client', incarnation: 1 })
    const atFirst = recorder(first)
    await cluster.run(300)
    // the hub waits a moment for the holder to go before it refuses: the clock must run while it starts
    const starting = cluster.start('twin-2', ['hub'], { role: 'client', incarnation: 2, id: 'twin' })
    await cluster.run(2_000)
    const second = await starting
    const joined = second
      .joined({ timeoutMs: 10_000 })
      .catch((error: TroupeError) => [error.code, error.message])
    await cluster.run(3_000)
    expect(second.connectionState).toBe('refused')
    expect(await joined).toEqual([
      'CONNECTION',
      'node "twin" did not join the cluster: the hubs refused it: 4409 node id "twin" is in use by a live node; tried mem://hub (4409 node id "twin" is in use by a live node)',
    ])
    for (const i of range(5)) hub.send('log@twin', i)
    await cluster.run(200)
    expect(atFirst).toEqual(range(5))
    expect(first.connectionState).toBe('online')
    expect(events).toEqual(['member-up twin'])
  })

  it('refuses a second hub with an id in use', async () => {
    cluster = memoryCluster()
    await cluster.start('a')
    const b = await cluster.start('b', ['a'], { incarnation: 1 })
    await cluster.run(300)
    const starting = cluster.start('b-twin', ['a'], { id: 'b', incarnation: 2 })
    await cluster.run(2_000)
    const twin = await starting
    const joined = twin.joined({ timeoutMs: 3_000 }).catch((error: TroupeError) => error.message)
    await cluster.run(4_000)
    expect(await joined).toMatch(
      /node "b" did not join the cluster: not within 3000 ms; tried mem:\/\/a \(4409 node id "b" is in use by a live node\)/,
    )
    expect(b.members().map((m) => `${m.id}:${m.status}`)).toEqual(['b:up', 'a:up'])
  })
})

describe('joining', () => {
  it('resolves once joined, at once for a hub without seeds, and names every seed tried when it cannot join', async () => {
    cluster = memoryCluster()
    const hub = await cluster.start('hub')
    await hub.joined()
    const tab = await cluster.start('tab', ['hub'], { role: 'client' })
    await tab.joined()
    const lost = await cluster.start('lost', ['nowhere', 'hub-gone'], { role: 'client' })
    const joined = lost
      .joined({ timeoutMs: 2_000 })
      .catch((error: TroupeError) => [error.code, error.message])
    await cluster.run(3_000)
    const [code, message] = (await joined) as [string, string]
    expect(code).toBe('CONNECTION')
    expect(message).toMatch(
      /did not join the cluster: not within 2000 ms; tried mem:\/\/nowhere \(.+\); mem:\/\/hub-gone \(.+\)/,
    )
  })
})
