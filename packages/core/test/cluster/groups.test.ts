import { createNode, isTroupeError, type Node, type Terminated } from '@troupe/core'
import { afterEach, describe, expect, it } from 'vitest'
import { deadLetters, type MemoryCluster, memoryCluster } from './harness.js'

let cluster: MemoryCluster | undefined
afterEach(async () => {
  await cluster?.closeAll()
  cluster = undefined
})

/** Runs the clock until every promise has settled, then awaits them all (rejections as errors). */
async function settled<T>(c: MemoryCluster, promises: Array<Promise<T>>, maxMs = 10_000) {
  let pending = promises.length
  const results = promises.map((promise) =>
    promise.then(
      (value) => {
        pending--
        return { value } as { value?: T; error?: unknown }
      },
      (error: unknown) => {
        pending--
        return { error } as { value?: T; error?: unknown }
      },
    ),
  )
  for (let waited = 0; pending > 0 && waited < maxMs; waited += 50) await c.run(50, 10)
  return Promise.all(results)
}

/** A worker that answers its own address, after `delayMs` of clock time. */
function worker(node: Node, name: string, c: MemoryCluster, delayMs = 0, group = 'workers') {
  return node.spawn<unknown, string>(name, {
    started: (ctx) => ctx.join(group),
    async receive(_job, ctx) {
      if (delayMs > 0) await new Promise<void>((resolve) => c.clock.setTimeout(resolve, delayMs))
      ctx.reply(ctx.self.address)
    },
  })
}

async function threeHubs() {
  const c = memoryCluster()
  cluster = c
  const h1 = await c.start('h1')
  const h2 = await c.start('h2', ['h1'])
  const h3 = await c.start('h3', ['h1'])
  await c.run(500)
  return { c, h1, h2, h3 }
}

describe('groups', () => {
  it('are known on every node, a client included, and reach one member, every member, or each with an answer', async () => {
    const { c, h1, h2, h3 } = await threeHubs()
    worker(h2, 'w1', c)
    worker(h2, 'w2', c)
    worker(h3, 'w3', c)
    const tab = await c.start('tab', ['h1'], { role: 'client' })
    // a client hears of a group from its hub once it first names it
    tab.group('workers')
    await c.run(500)
    for (const node of [h1, h2, h3, tab]) {
      expect(
        node
          .group('workers')
          .members()
          .map((m) => m.address),
      ).toEqual(['w1@h2', 'w2@h2', 'w3@h3'])
    }
    const answers = await settled(
      c,
      [1, 2, 3, 4, 5, 6].map((n) => tab.group<number, string>('workers').ask(n)),
    )
    expect(answers.every((a) => a.error === undefined)).toBe(true)
    expect(new Set(answers.map((a) => a.value)).size).toBe(3) // spread over all three
    const [all] = await settled(c, [h1.group<string, string>('workers').askAll('who')])
    expect(all!.value!.replies.map((r) => r.value).sort()).toEqual(['w1@h2', 'w2@h2', 'w3@h3'])
    expect(all!.value!.failures).toEqual([])
  })

  it('leave when their actor stops or leaves, and when their node is down', async () => {
    const { c, h1, h2, h3 } = await threeHubs()
    const w1 = worker(h2, 'w1', c)
    worker(h3, 'w3', c)
    const tab = await c.start('tab', ['h1'], { role: 'client' })
    tab.group('workers')
    await c.run(500)
    h2.leave('workers', w1)
    await c.run(200)
    expect(tab.group('workers').members().map(String)).toEqual(['w3@h3'])
    h2.join('workers', w1)
    await c.run(200)
    expect(h1.group('workers').members().map(String)).toEqual(['w1@h2', 'w3@h3'])
    await h2.stop(w1)
    await c.run(200)
    expect(h1.group('workers').members().map(String)).toEqual(['w3@h3'])
    expect(tab.group('workers').members().map(String)).toEqual(['w3@h3'])
    c.kill('h3')
    await c.run(2_000)
    expect(h1.group('workers').members()).toEqual([])
    expect(tab.group('workers').members()).toEqual([])
  })

  it('fail an ask over to another member when the one asked dies, and askAll fails the dead one at once', async () => {
    const { c, h1, h2, h3 } = await threeHubs()
    worker(h2, 'w2', c, 100)
    worker(h3, 'w3', c, 100)
    await c.run(300)
    const workers = h1.group<number, string>('workers', { strategy: 'round-robin' })
    const asks = [1, 2, 3, 4].map((n) => workers.ask(n, { timeoutMs: 5_000 }))
    const all = h1.group<number, string>('workers').askAll(0, { timeoutMs: 4_000 })
    await c.run(20)
    c.kill('h2')
    const started = c.clock.now()
    const [everything] = await settled(c, [all])
    expect(c.clock.now() - started).toBeLessThan(3_000) // at detection (about 2 s), not at the 4 s timeout
    expect(everything!.value!.replies.map((r) => r.value)).toEqual(['w3@h3'])
    expect(everything!.value!.failures.map((f) => [String(f.from), f.error.code])).toEqual([
      ['w2@h2', 'NODE_DOWN'],
    ])
    const answers = await settled(c, asks)
    expect(answers.map((a) => a.error)).toEqual([undefined, undefined, undefined, undefined])
    expect(answers.map((a) => a.value)).toEqual(['w3@h3', 'w3@h3', 'w3@h3', 'w3@h3'])
  })

  it('do not fail over an ask that opted out', async () => {
    const { c, h1, h2, h3 } = await threeHubs()
    worker(h1, 'w1', c, 100)
    worker(h2, 'w2', c, 100)
    await c.run(300)
    const sticky = h3.group('workers', { strategy: 'consistent-hash', key: () => 'k' })
    // the member the key hashes to: the one that will have the job
    const owner = (await settled(c, [sticky.ask('who', { timeoutMs: 5_000 })]))[0]!.value as string
    const asked = sticky.ask('job', { failover: false, timeoutMs: 5_000 })
    await c.run(20)
    c.kill(owner.slice(owner.indexOf('@') + 1))
    const [answer] = await settled(c, [asked])
    expect(isTroupeError(answer!.error, 'NODE_DOWN')).toBe(true)
  })

  it('give a slow member less work under the default strategy than under round-robin', async () => {
    const counts = async (strategy?: 'round-robin') => {
      const c = memoryCluster()
      const h1 = await c.start('h1')
      const h2 = await c.start('h2', ['h1'])
      await c.run(300)
      worker(h2, 'slow', c, 200)
      worker(h2, 'fast1', c, 5)
      worker(h2, 'fast2', c, 5)
      await c.run(300)
      const workers = h1.group<number, string>('workers', strategy === undefined ? {} : { strategy })
      const served = new Map<string, number>()
      // ten callers, each asking again as soon as it has its answer
      const caller = async () => {
        for (let i = 0; i < 20; i++) {
          const at = await workers.ask(i, { timeoutMs: 30_000 })
          served.set(at, (served.get(at) ?? 0) + 1)
        }
      }
      await settled(c, Array.from({ length: 10 }, caller), 120_000)
      await c.closeAll()
      return served
    }
    const leastLoaded = await counts()
    const roundRobin = await counts('round-robin')
    expect(roundRobin.get('slow@h2')).toBeGreaterThan(60)
    expect(leastLoaded.get('slow@h2') ?? 0).toBeLessThan(20)
    expect([...leastLoaded.values()].reduce((a, b) => a + b)).toBe(200)
  })

  it('reject an ask to a group without members promptly, with its own code and dead letter', async () => {
    const { c, h1 } = await threeHubs()
    const tab = await c.start('tab', ['h1'], { role: 'client' })
    await c.run(300)
    const letters = deadLetters(tab)
    const started = c.clock.now()
    const [answer] = await settled(c, [tab.group('nobody').ask('hi')])
    expect(isTroupeError(answer!.error, 'NO_MEMBERS')).toBe(true)
    expect(c.clock.now() - started).toBeLessThanOrEqual(1_100)
    expect(letters.map((l) => l.reason)).toEqual(['no-members'])
    const [fromHub] = await settled(c, [h1.group('nobody').ask('hi')])
    expect(isTroupeError(fromHub!.error, 'NO_MEMBERS')).toBe(true)
    expect(() => h1.group('bad name')).toThrow(/bad group name "bad name"/)
    expect(() => h1.group('g', { strategy: 'consistent-hash' })).toThrow(/needs a key function/)
  })

  it('let tabs join and call each other: a presence group', async () => {
    const { c } = await threeHubs()
    const tabs = await Promise.all(
      ['a', 'b', 'c'].map((id, i) => c.start(id, [`h${i + 1}`], { role: 'client' })),
    )
    const heard = new Map<string, unknown[]>()
    for (const tab of tabs) {
      heard.set(tab.id, [])
      tab.spawn('presence', {
        started: (ctx) => ctx.join('presence'),
        receive: (m) => void heard.get(tab.id)!.push(m),
      })
      tab.group('presence')
    }
    await c.run(800)
    expect(tabs[0]!.group('presence').members().map(String)).toEqual([
      'presence@a',
      'presence@b',
      'presence@c',
    ])
    expect(tabs[0]!.group('presence').broadcast({ cursor: 1 })).toBe(3)
    await c.run(300)
    expect([...heard.values()]).toEqual([[{ cursor: 1 }], [{ cursor: 1 }], [{ cursor: 1 }]])
  })
})

describe('death watch', () => {
  it('tells a watcher once when a local or remote actor stops, or its node goes down', async () => {
    const { c, h1, h2, h3 } = await threeHubs()
    const seen: string[] = []
    const local = h1.spawn('local', { receive() {} })
    const remote = h2.spawn('remote', { receive() {} })
    const doomed = h3.spawn('doomed', { receive() {} })
    h1.spawn('watcher', {
      started(ctx) {
        ctx.watch(local)
        ctx.watch(remote)
        ctx.watch(doomed)
        ctx.watch(h2.ref('missing@h2'))
      },
      receive(message) {
        const t = message as Terminated
        seen.push(`${t.ref.address} ${t.reason}`)
      },
    })
    await c.run(300)
    await h1.stop(local)
    await h2.stop(remote)
    await c.run(300)
    c.kill('h3')
    await c.run(2_500)
    expect(seen).toEqual([
      'missing@h2 not-found',
      'local@h1 stopped',
      'remote@h2 stopped',
      'doomed@h3 node-down',
    ])
  })

  it('bounds the watches one node keeps on another: past 1,024 a watch is refused with a dead letter', async () => {
    const { c, h1 } = await threeHubs()
    const tab = await c.start('tab', ['h1'], { role: 'client' })
    const targets = Array.from({ length: 1_025 }, (_, i) => h1.spawn(`a${i}`, { receive() {} }))
    tab.spawn('watcher', {
      started(ctx) {
        for (const target of targets) ctx.watch(tab.ref(target.address))
      },
      receive() {},
    })
    const letters = deadLetters(tab)
    const atHub = deadLetters(h1)
    await c.run(1_000)
    expect(letters.map((l) => [l.to, l.reason])).toEqual([['troupe:watch@h1', 'queue-full']])
    expect(atHub.map((l) => l.detail)).toEqual(['node "tab" watches 1024 actors here already'])
  })

  it('ends with unwatch', async () => {
    const node = await createNode({ id: 'n1' })
    const seen: unknown[] = []
    const target = node.spawn('target', { receive() {} })
    const watcher = node.spawn<'unwatch', never>('watcher', {
      started: (ctx) => ctx.watch(target),
      receive(message, ctx) {
        if (message === 'unwatch') ctx.unwatch(target)
        else seen.push(message)
      },
    })
    watcher.send('unwatch')
    await new Promise((resolve) => setTimeout(resolve, 10))
    await node.stop(target)
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(seen).toEqual([])
    await node.close()
  })
})

describe('circuit breakers', () => {
  it('fail asks to a node fast after failures in a row, then let one trial through', async () => {
    const c = memoryCluster()
    cluster = c
    const h1 = await c.start('h1', [], { circuitBreaker: { failures: 3, coolDownMs: 1_000 } })
    const h2 = await c.start('h2', ['h1'])
    h2.spawn('mute', { receive() {} })
    await c.run(500)
    const asks = Array.from({ length: 3 }, () => h1.ask('mute@h2', 'x', { timeoutMs: 100 }))
    const first = await settled(c, asks)
    expect(first.every((a) => isTroupeError(a.error, 'ASK_TIMEOUT'))).toBe(true)
    expect(h1.metrics().circuits.h2).toEqual({ state: 'open', failures: 3, opened: 1 })
    const [fast] = await settled(c, [h1.ask('mute@h2', 'x', { timeoutMs: 100 })])
    expect(isTroupeError(fast!.error, 'CIRCUIT_OPEN')).toBe(true)
    await c.run(1_000)
    h2.spawn('echo', { receive: (m, ctx) => ctx.reply(m) })
    const [trial] = await settled(c, [h1.ask('echo@h2', 'ok')])
    expect(trial!.value).toBe('ok')
    expect(h1.metrics().circuits.h2?.state).toBe('closed')
  })
})
