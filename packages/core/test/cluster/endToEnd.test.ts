import { isTroupeError, type Node, type TroupeError } from '@troupe/core'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { propertyParams } from '../seed.js'
import { deadLetters, type MemoryCluster, memoryCluster, recorder } from './harness.js'

let cluster: MemoryCluster | undefined
afterEach(async () => {
  await cluster?.closeAll()
  cluster = undefined
})

const range = (n: number) => Array.from({ length: n }, (_, i) => i)

/** a and b send each other `count` numbered messages, one each every `everyMs`, while `during(t)` acts at clock time t. */
async function exchange(
  c: MemoryCluster,
  a: Node,
  b: Node,
  count: number,
  everyMs: number,
  during: (t: number) => Promise<void> | void,
): Promise<void> {
  for (let i = 0; i < count; i++) {
    await during(i * everyMs)
    a.send(`log@${b.id}`, i)
    b.send(`log@${a.id}`, i)
    await c.clock.advance(everyMs)
  }
}

/** What an ask ended with, and when (clock time). */
async function outcome(c: MemoryCluster, asked: Promise<unknown>): Promise<{ code: string; at: number }> {
  try {
    await asked
    return { code: 'ok', at: c.clock.now() }
  } catch (error) {
    return { code: isTroupeError(error) ? error.code : String(error), at: c.clock.now() }
  }
}

describe('end to end through relays', () => {
  it('loses and duplicates nothing between two tabs when the hub relaying them is killed and restarted', async () => {
    cluster = memoryCluster()
    const c = cluster
    await c.start('h1', [], { incarnation: 1 })
    const t1 = await c.start('t1', ['h1'], { role: 'client' })
    const t2 = await c.start('t2', ['h1'], { role: 'client' })
    await c.run(300)
    const [atT1, atT2] = [recorder(t1), recorder(t2)]
    await exchange(c, t1, t2, 400, 10, async (t) => {
      if (t === 1_000) c.kill('h1') // mid-stream, with envelopes in flight and in the hub's queues
      if (t === 2_000) await c.start('h1', [], { incarnation: 2 })
    })
    await c.run(10_000)
    expect(atT2).toEqual(range(400))
    expect(atT1).toEqual(range(400))
    expect([...deadLetters(t1), ...deadLetters(t2)]).toEqual([])
    expect(t1.metrics().resent + t2.metrics().resent).toBeGreaterThan(0)
  })

  it('loses and duplicates nothing between two tabs that fail over to another hub mid-stream', async () => {
    cluster = memoryCluster()
    const c = cluster
    await c.start('h1')
    await c.start('h2', ['h1'])
    const t1 = await c.start('t1', ['h1', 'h2'], { role: 'client' })
    const t2 = await c.start('t2', ['h1', 'h2'], { role: 'client' })
    await c.run(500)
    const [atT1, atT2] = [recorder(t1), recorder(t2)]
    await exchange(c, t1, t2, 400, 10, (t) => {
      if (t === 1_000) c.kill('h1')
    })
    await c.run(10_000)
    expect(atT2).toEqual(range(400))
    expect(atT1).toEqual(range(400))
    expect([...deadLetters(t1), ...deadLetters(t2)]).toEqual([])
  })

  it('holds the invariant for any moment the relay dies, any outage, and lossy links (seeded)', async () => {
    const plan = fc.record({
      seed: fc.nat(),
      killAt: fc.integer({ min: 0, max: 1_500 }),
      downMs: fc.integer({ min: 50, max: 4_000 }),
      drop: fc.double({ min: 0, max: 0.2, noNaN: true }),
      failover: fc.boolean(),
    })
    await fc.assert(
      fc.asyncProperty(plan, async ({ seed, killAt, downMs, drop, failover }) => {
        cluster = memoryCluster(seed)
        const c = cluster
        await c.start('h1', [], { incarnation: 1 })
        if (failover) await c.start('h2', ['h1'])
        const seeds = failover ? ['h1', 'h2'] : ['h1']
        const t1 = await c.start('t1', seeds, { role: 'client', reconnect: { initialMs: 50, maxMs: 500 } })
        const t2 = await c.start('t2', seeds, { role: 'client', reconnect: { initialMs: 50, maxMs: 500 } })
        await c.run(500)
        const [atT1, atT2] = [recorder(t1), recorder(t2)]
        c.net.faults({ drop })
        await exchange(c, t1, t2, 200, 10, async (t) => {
          if (t === killAt - (killAt % 10)) c.kill('h1')
          if (!failover && t === killAt - (killAt % 10) + downMs - (downMs % 10))
            await c.start('h1', [], { incarnation: 2 })
        })
        if (!failover && killAt + downMs >= 2_000) await c.start('h1', [], { incarnation: 2 })
        c.net.clearFaults()
        await c.run(12_000)
        expect(atT2).toEqual(range(200))
        expect(atT1).toEqual(range(200))
        expect([...deadLetters(t1), ...deadLetters(t2)]).toEqual([])
        await c.closeAll()
        cluster = undefined
      }),
      { ...propertyParams, numRuns: propertyParams.numRuns ?? 12 },
    )
  })
})

describe('failing fast', () => {
  it('rejects an ask with NODE_DOWN when its node is declared down, not at its timeout, from a hub and from a tab', async () => {
    cluster = memoryCluster()
    const c = cluster
    const h1 = await c.start('h1')
    await c.start('h2', ['h1'])
    const t1 = await c.start('t1', ['h1'], { role: 'client' })
    const doomed = await c.start('doomed', ['h2'], { role: 'client' })
    doomed.spawn('slow', { receive: () => new Promise(() => {}) }) // never answers
    await c.run(500)
    const fromHub = outcome(c, h1.ask('slow@doomed', 'q', { timeoutMs: 10_000 }))
    const fromTab = outcome(c, t1.ask('slow@doomed', 'q', { timeoutMs: 10_000 }))
    await c.run(100)
    const killedAt = c.clock.now()
    c.kill('doomed')
    await c.run(4_000)
    for (const result of [await fromHub, await fromTab]) {
      expect(result.code).toBe('NODE_DOWN')
      expect(result.at - killedAt).toBeLessThanOrEqual(2_000)
    }
  })

  it('rejects an ask to a node nobody knows with NO_SUCH_NODE within 2 s; a plain send waits out its TTL', async () => {
    cluster = memoryCluster()
    const c = cluster
    const h1 = await c.start('h1')
    const t1 = await c.start('t1', ['h1'], { role: 'client' })
    await c.run(300)
    const startedAt = c.clock.now()
    const fromHub = outcome(c, h1.ask('echo@nobody-here', 'q', { timeoutMs: 10_000 }))
    const fromTab = outcome(c, t1.ask('echo@nobody-here', 'q', { timeoutMs: 10_000 }))
    const letters = deadLetters(t1)
    t1.send('echo@nobody-here', 'plain', { ttlMs: 5_000 })
    await c.run(3_000)
    for (const result of [await fromHub, await fromTab]) {
      expect(result.code).toBe('NO_SUCH_NODE')
      expect(result.at - startedAt).toBeLessThanOrEqual(2_000)
    }
    expect(letters.filter((l) => l.message === 'plain')).toEqual([])
    await c.run(4_000)
    expect(letters.filter((l) => l.message === 'plain').map((l) => l.reason)).toEqual(['ttl-expired'])
  })

  it('waits for a node that is just joining, and for one that is down when the ask says so', async () => {
    cluster = memoryCluster()
    const c = cluster
    const h1 = await c.start('h1')
    await c.run(300)
    // a node that shows up within the grace: the ask goes through
    const early = h1.ask('echo@late', 'early', { timeoutMs: 5_000 })
    await c.run(300)
    const late = await c.start('late', ['h1'], { role: 'client' })
    late.spawn('echo', { receive: (msg, ctx) => ctx.reply(msg) })
    await c.run(500)
    expect(await early).toBe('early')
    // a node that is down, with an ask that opts to wait: answered once it is back
    c.kill('late')
    await c.run(3_000)
    const patient = h1.ask('echo@late', 'patient', { timeoutMs: 20_000, waitForNode: true })
    const impatient = h1
      .ask('echo@late', 'impatient', { timeoutMs: 20_000 })
      .catch((e: TroupeError) => e.code)
    await c.run(10)
    expect(await impatient).toBe('NODE_DOWN')
    const back = await c.start('late', ['h1'], { role: 'client' })
    back.spawn('echo', { receive: (msg, ctx) => ctx.reply(msg) })
    await c.run(2_000)
    expect(await patient).toBe('patient')
  })
})
