import { nodeControls } from '@troupe/core/internal'
import { afterEach, describe, expect, it } from 'vitest'
import {
  deadLetters,
  type MemoryCluster,
  memberEvents,
  memoryCluster,
  recorder,
  statusOf,
} from './harness.js'

let cluster: MemoryCluster
afterEach(() => cluster?.closeAll())

const range = (n: number) => Array.from({ length: n }, (_, i) => i)

describe('client nodes (browser tabs) behind hubs', () => {
  it('routes hub → client, client → hub and client → client across two hubs', async () => {
    cluster = memoryCluster()
    const h1 = await cluster.start('h1')
    await cluster.start('h2', ['h1'])
    const t1 = await cluster.start('t1', ['h1'], { role: 'client' })
    const t2 = await cluster.start('t2', ['h2'], { role: 'client' })
    await cluster.run(500)
    expect(h1.members().find((m) => m.id === 't2')).toMatchObject({ role: 'client', via: 'h2', status: 'up' })
    const [atT1, atT2, atH1] = [recorder(t1), recorder(t2), recorder(h1)]
    for (const i of range(5)) {
      h1.send('log@t2', i)
      t1.send('log@t2', 10 + i)
      t2.send('log@t1', i)
      t2.send('log@h1', i)
    }
    await cluster.run(100)
    // order holds per sender: h1's own messages and t1's relayed ones each arrive in order
    expect(atT2.filter((n) => n < 10)).toEqual(range(5))
    expect(atT2.filter((n) => n >= 10)).toEqual([10, 11, 12, 13, 14])
    expect(atT1).toEqual(range(5))
    expect(atH1).toEqual(range(5))
  })

  it('reports connecting, online, offline; dials again at once when back online', async () => {
    cluster = memoryCluster()
    await cluster.start('h1')
    const t1 = await cluster.start('t1', ['h1'], { role: 'client' })
    const states: string[] = []
    t1.on('connection', (state) => states.push(state)) // right after createNode: sees the first 'online' too
    const controls = nodeControls(t1)
    controls.setNetworkOnline(false)
    cluster.net.cut('t1', 'h1')
    await cluster.run(3_000)
    expect(states).toEqual(['online', 'offline'])
    cluster.net.heal()
    controls.setNetworkOnline(true)
    await cluster.run(100)
    expect(states).toEqual(['online', 'offline', 'connecting', 'online'])
  })

  it('fails over to another seed when its hub dies; messages to it and from it follow it there', async () => {
    cluster = memoryCluster()
    await cluster.start('h1')
    const h2 = await cluster.start('h2', ['h1'])
    const t1 = await cluster.start('t1', ['h1', 'h2'], { role: 'client' })
    const t2 = await cluster.start('t2', ['h2'], { role: 'client' })
    await cluster.run(500)
    expect(h2.members().find((m) => m.id === 't1')?.via).toBe('h1')
    const atT1 = recorder(t1)
    const atT2 = recorder(t2)
    cluster.kill('h1')
    // while t1 looks for a new hub, both keep sending
    for (const i of range(20)) {
      t2.send('log@t1', i)
      t1.send('log@t2', i)
    }
    await cluster.run(5_000)
    expect(h2.members().find((m) => m.id === 't1')).toMatchObject({ via: 'h2', status: 'up' })
    expect(t1.connectionState).toBe('online')
    expect(atT1).toEqual(range(20))
    expect(atT2).toEqual(range(20))
    expect([...deadLetters(t1), ...deadLetters(t2)]).toEqual([])
  })

  it('notices a hub gone silent within 2.5 s while it waits on an answer, and gets it through another hub', async () => {
    cluster = memoryCluster()
    const h1 = await cluster.start('h1')
    const h2 = await cluster.start('h2', ['h1'])
    h2.spawn('echo', { receive: (m, ctx) => ctx.reply(m) })
    const t1 = await cluster.start('t1', ['h1', 'h2'], { role: 'client' })
    await cluster.run(500)
    expect(h1.members().find((m) => m.id === 't1')?.via).toBe('h1')
    // h1 stops answering t1, without closing anything (a frozen process, a dead machine)
    cluster.net.partition('t1', 'h1')
    const asked = t1.ask('echo@h2', 'still there?', { timeoutMs: 5_000 })
    let answer: unknown
    void asked.then((value) => {
      answer = value
    })
    const started = cluster.clock.now()
    while (answer === undefined && cluster.clock.now() - started < 5_000) await cluster.run(100)
    expect(answer).toBe('still there?')
    // idle, it would wait 2.5 × clientHeartbeatMs (12.5 s); waiting on an answer, 2.5 s
    expect(cluster.clock.now() - started).toBeLessThan(4_000)
    expect(t1.connectionState).toBe('online')
  })

  it('reconnects by itself to a restarted hub (a new incarnation), and what it sent meanwhile arrives', async () => {
    cluster = memoryCluster()
    await cluster.start('h1', [], { incarnation: 1 })
    const t1 = await cluster.start('t1', ['h1'], { role: 'client' })
    const t2 = await cluster.start('t2', ['h1'], { role: 'client' })
    await cluster.run(300)
    const atT2 = recorder(t2)
    t2.send('nobody@t1', 'so that t1 has received from h1 before it dies')
    await cluster.run(100)
    cluster.kill('h1')
    await cluster.run(2_000)
    for (const i of range(20)) t1.send('log@t2', i)
    await cluster.start('h1', [], { incarnation: 2 })
    await cluster.run(8_000)
    expect([t1.connectionState, t2.connectionState]).toEqual(['online', 'online'])
    expect(atT2).toEqual(range(20))
  })

  it('moves messages a hub queued for a client that reconnected elsewhere', async () => {
    cluster = memoryCluster()
    const h1 = await cluster.start('h1')
    const h2 = await cluster.start('h2', ['h1'])
    const t1 = await cluster.start('t1', ['h1', 'h2'], { role: 'client' })
    await cluster.run(500)
    const atT1 = recorder(t1)
    cluster.net.cut('t1', 'h1') // t1 cannot reach h1 any more, but h1 lives and queues for it
    for (const i of range(10)) h1.send('log@t1', i)
    await cluster.run(5_000)
    expect(h2.members().find((m) => m.id === 't1')?.via).toBe('h2')
    expect(atT1).toEqual(range(10))
  })

  it('keeps a hidden tab up while its connection answers pings, though its heartbeats slow down', async () => {
    cluster = memoryCluster()
    const h1 = await cluster.start('h1')
    const t1 = await cluster.start('t1', ['h1'], { role: 'client' })
    await cluster.run(300)
    const events = memberEvents(h1)
    nodeControls(t1).setBackground(true)
    cluster.net.pause('t1') // a frozen page reads nothing, but its network stack still answers pings
    await cluster.run(10_000)
    expect(events).toEqual([])
    expect(statusOf(h1, 't1')).toBe('up')
    cluster.net.resume('t1')
    nodeControls(t1).setBackground(false)
    cluster.net.partition('t1', 'h1') // now really gone: no pings answered
    await cluster.run(10_000) // silent past 1.5 × clientHeartbeatMs + downAfterMs (9 s)
    expect(events).toEqual(['member-down t1'])
    expect(deadLetters(h1)).toEqual([])
  })

  it('tells a sender to slow down before a tab that reads nothing costs it its bound', async () => {
    cluster = memoryCluster()
    const h1 = await cluster.start('h1')
    const t1 = await cluster.start('t1', ['h1'], { role: 'client' })
    t1.spawn('sink', { receive() {} })
    await cluster.run(300)
    cluster.net.pause('t1')
    const kilobyte = 'x'.repeat(1_024)
    let accepted = 0
    while (h1.send('sink@t1', kilobyte)) accepted++
    // told to slow down at half the 4 MiB bound for a client: no message was refused
    expect(accepted).toBeGreaterThan(1_500)
    expect(accepted).toBeLessThan(2_100)
    expect(deadLetters(h1)).toEqual([])
    cluster.net.resume('t1')
    let drained = false
    void h1.drain('t1').then(() => {
      drained = true
    })
    for (let waited = 0; !drained && waited < 30_000; waited += 100) await cluster.run(100)
    expect(drained).toBe(true)
    expect(deadLetters(h1)).toEqual([])
  })
})
