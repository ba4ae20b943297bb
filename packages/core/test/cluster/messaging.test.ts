import type { TroupeError } from '@troupe/core'
import { afterEach, describe, expect, it } from 'vitest'
import { deadLetters, type MemoryCluster, memberEvents, memoryCluster, recorder, settled } from './harness.js'

let cluster: MemoryCluster
afterEach(() => cluster?.closeAll())

async function pair(options = {}) {
  cluster = memoryCluster()
  const a = await cluster.start('a', [], options)
  const b = await cluster.start('b', ['a'], options)
  await cluster.run(100)
  return { a, b }
}

describe('messages between nodes', () => {
  it('asks across nodes, and replies to a remote sender', async () => {
    const { a, b } = await pair()
    b.spawn<number, number>('double', { receive: (n, ctx) => ctx.reply(n * 2) })
    const answer = a.ask('double@b', 21)
    await cluster.run(10)
    expect(await answer).toBe(42)

    const got: unknown[] = []
    b.spawn('pong', { receive: (msg, ctx) => ctx.reply(`pong ${msg}`) })
    a.spawn('ping', {
      receive(msg, ctx) {
        if (msg === 'go') ctx.send('pong@b', 'x')
        else got.push([msg, ctx.sender?.address])
      },
    })
    a.send('ping@a', 'go')
    await cluster.run(10)
    expect(got).toEqual([['pong x', 'pong@b']])
  })

  it('acks at once every 1/32 of the window under load, and after ackDelayMs otherwise', async () => {
    const { a, b } = await pair({ link: { ackDelayMs: 25 } })
    b.spawn('sink', { receive: () => {} })
    const burst = (n: number) => {
      for (let i = 0; i < n; i++) a.send('sink@b', i)
    }
    burst(256) // 8,192 / 32: acknowledged as soon as it arrives
    await cluster.run(5, 1)
    expect(a.metrics().queued).toBe(0)
    burst(255) // one short: the ack waits for the delay
    await cluster.run(5, 1)
    expect(a.metrics().queued).toBe(255)
    await cluster.run(30, 1)
    expect(a.metrics().queued).toBe(0)
  })

  it('reports a missing remote actor on both nodes, and rejects the ask at once', async () => {
    const { a, b } = await pair()
    const atA = deadLetters(a)
    const atB = deadLetters(b)
    const asked = a.ask('ghost@b', 'q', { timeoutMs: 60_000 }).catch((e: TroupeError) => [e.code, e.reason])
    await cluster.run(10)
    expect(await asked).toEqual(['NO_SUCH_ACTOR', 'no-such-actor'])
    a.send('ghost@b', 'fire and forget')
    await cluster.run(10)
    const summary = (letters: typeof atA) => letters.map((l) => [l.to, l.message, l.reason])
    const expected = [
      ['ghost@b', 'q', 'no-such-actor'],
      ['ghost@b', 'fire and forget', 'no-such-actor'],
    ]
    expect(summary(atB)).toEqual(expected)
    expect(summary(atA)).toEqual(expected)
  })

  it('rejects a remote ask whose handler throws with HANDLER_ERROR', async () => {
    const { a, b } = await pair()
    b.on('actor-error', () => {})
    b.spawn('bad', {
      receive() {
        throw new Error('boom')
      },
    })
    const asked = a.ask('bad@b', 1).catch((e: TroupeError) => [e.code, e.message])
    await cluster.run(10)
    expect(await asked).toEqual(['HANDLER_ERROR', 'the handler of "bad@b" failed: boom'])
  })

  it('keeps order between two nodes for a burst of 10,000 messages, none dropped', async () => {
    const { a, b } = await pair()
    const seen = recorder(b)
    const refused: number[] = []
    for (let i = 0; i < 10_000; i++) if (!a.send('log@b', i)) refused.push(i)
    await cluster.run(500, 5)
    expect(seen).toEqual(Array.from({ length: 10_000 }, (_, i) => i))
    expect(a.metrics().deadLetters['queue-full']).toBe(0)
    expect(a.metrics()).toMatchObject({ queued: 0, held: 0, resent: 0 })
    expect(b.metrics()).toMatchObject({ duplicatesDropped: 0, outOfOrderDropped: 0 })
  })
})

describe('hold queue and TTL', () => {
  it('holds messages for an unknown node, then makes them ttl-expired dead letters on the sender', async () => {
    const { a } = await pair()
    const letters = deadLetters(a)
    a.send('x@nowhere', 1, { ttlMs: 1_000 })
    a.send('x@nowhere', 2)
    expect(a.metrics().held).toBe(2)
    await cluster.run(1_300)
    expect(letters.map((l) => [l.message, l.reason])).toEqual([[1, 'ttl-expired']])
    await cluster.run(9_000)
    expect(letters.map((l) => [l.message, l.reason])).toEqual([
      [1, 'ttl-expired'],
      [2, 'ttl-expired'],
    ])
    expect(a.metrics().held).toBe(0)
  })

  it('delivers messages for a crashed node once, in order, when it restarts within the TTL', async () => {
    const { a } = await pair()
    cluster.kill('b')
    await cluster.run(2_000)
    for (let i = 0; i < 100; i++) a.send('log@b', i)
    await cluster.run(3_000)
    const b = await cluster.start('b', ['a'])
    const seen = recorder(b) // right after createNode: receives what was held
    await cluster.run(6_000)
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i))
    expect(deadLetters(a)).toEqual([])
  })

  it('dead-letters messages for a node that stays down past their TTL; an ask to it fails when it is declared down', async () => {
    const { a } = await pair()
    const letters = deadLetters(a)
    cluster.kill('b')
    await cluster.run(100)
    for (let i = 0; i < 5; i++) a.send('log@b', i, { ttlMs: 3_000 })
    const failedAt = { at: 0 }
    const asked = a.ask('log@b', 'q', { timeoutMs: 60_000, ttlMs: 3_000 }).catch((e: TroupeError) => {
      failedAt.at = cluster.clock.now()
      return e.code
    })
    const killedAt = cluster.clock.now() - 100
    await cluster.run(4_000)
    // the ask ends when b is declared down, and its message with it; the sends wait out their TTL
    expect(letters.map((l) => [l.message, l.reason])).toEqual([
      ['q', 'node-down'],
      ...[0, 1, 2, 3, 4].map((i) => [i, 'ttl-expired']),
    ])
    expect(await asked).toBe('NODE_DOWN')
    expect(failedAt.at - killedAt).toBeLessThanOrEqual(2_000)
  })
})

describe('flow control', () => {
  it('returns false above the high-water mark, drains below the low-water mark, and refuses past the bound', async () => {
    const { a, b } = await pair({ link: { highWaterMessages: 100, maxMessages: 300 } })
    const seen = recorder(b)
    const letters = deadLetters(a)
    cluster.net.pause('b') // b stops reading: everything stays queued at a
    const accepted = Array.from({ length: 310 }, (_, i) => a.send('log@b', i))
    expect(accepted.slice(0, 99).every(Boolean)).toBe(true)
    expect(accepted.slice(99, 300).some(Boolean)).toBe(false)
    expect(letters.map((l) => l.message)).toEqual([300, 301, 302, 303, 304, 305, 306, 307, 308, 309])
    expect(letters.every((l) => l.reason === 'queue-full')).toBe(true)
    let drained = false
    void a.drain('log@b').then(() => {
      drained = true
    })
    await cluster.run(100)
    expect(drained).toBe(false)
    cluster.net.resume('b')
    await cluster.run(500, 5)
    expect(drained).toBe(true)
    expect(seen).toHaveLength(300)
  })

  it('slows a sender down for a slow actor instead of dropping, and the healthy peer never looks down', async () => {
    const { a, b } = await pair()
    const events = memberEvents(a)
    const seen: number[] = []
    // 10 ms a message, and a mailbox of 50: far slower than the sender
    b.spawn<number>(
      'slow',
      {
        receive: (n) =>
          new Promise<void>((resolve) => {
            seen.push(n)
            cluster.clock.setTimeout(resolve, 10)
          }),
      },
      { mailbox: { capacity: 50 } },
    )
    for (let i = 0; i < 1_000; i++) a.send('slow@b', i)
    await cluster.run(15_000, 10)
    expect(seen).toEqual(Array.from({ length: 1_000 }, (_, i) => i))
    expect(events).toEqual([])
    expect(b.metrics().deadLetters['queue-full']).toBe(0)
  })
})

describe('relay', () => {
  it('relays between a client and a hub it is not linked to, through its hub', async () => {
    cluster = memoryCluster()
    await cluster.start('a')
    const b = await cluster.start('b', ['a'])
    const c = await cluster.start('c', ['a'], { role: 'client' })
    await cluster.run(500)
    expect(Object.keys(c.metrics().peers)).toEqual(['a'])
    expect(b.members().find((m) => m.id === 'c')).toMatchObject({ role: 'client', via: 'a', status: 'up' })
    const atC = recorder(c)
    const atB = recorder(b)
    for (let i = 0; i < 5; i++) {
      b.send('log@c', i)
      c.send('log@b', i)
    }
    await cluster.run(100)
    expect(atC).toEqual([0, 1, 2, 3, 4])
    expect(atB).toEqual([0, 1, 2, 3, 4])
  })

  it('carries bodies of every size whole, small and large in the same frames, directly and through a hub', async () => {
    cluster = memoryCluster()
    const a = await cluster.start('a')
    const b = await cluster.start('b', ['a'])
    const c = await cluster.start('c', ['a'], { role: 'client' })
    await cluster.run(500)
    for (const node of [a, b]) node.spawn('echo', { receive: (m, ctx) => ctx.reply(m) })
    const atC: string[] = []
    c.spawn('log', { receive: (m: string) => void atC.push(m) })
    // around the 1 KB above which an origin's link sends a body by reference rather than copied
    const bodies = [10, 1_023, 1_024, 5_000, 20, 70_000, 3].map((n, i) => `${i}:${'x'.repeat(n)}`)
    const asked = bodies.flatMap((body) => [
      c.ask('echo@a', body),
      c.ask('echo@b', body),
      a.ask('echo@b', body),
    ])
    for (const body of bodies) b.send('log@c', body)
    expect(await settled(cluster, asked)).toEqual(bodies.flatMap((body) => [body, body, body]))
    expect(atC).toEqual(bodies)
  })
})
