import { createNode, type Node, TroupeError } from '@troupe/core'
import { createTestClock } from '@troupe/core/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { collectDeadLetters, deferred, settle } from './helpers.js'

let node: Node
afterEach(() => node?.close())

describe('mailbox order and one-at-a-time processing', () => {
  it('handles messages in send order', async () => {
    node = await createNode({ id: 'n1' })
    const seen: number[] = []
    const ref = node.spawn<number | 'done', number[]>('log', {
      receive: (n, ctx) => (n === 'done' ? ctx.reply(seen) : void seen.push(n)),
    })
    for (let i = 0; i < 5_000; i++) ref.send(i)
    expect(await ref.ask('done')).toEqual(Array.from({ length: 5_000 }, (_, i) => i))
  })

  it('lets an async handler finish before the next message starts', async () => {
    node = await createNode({ id: 'n1' })
    const events: string[] = []
    const gates = [deferred(), deferred()]
    node.spawn<number>('slow', {
      async receive(n) {
        events.push(`start ${n}`)
        await gates[n]?.promise
        events.push(`end ${n}`)
      },
    })
    node.send('slow@n1', 0)
    node.send('slow@n1', 1)
    node.send('slow@n1', 2)
    await settle()
    expect(events).toEqual(['start 0'])
    gates[1]!.resolve()
    await settle()
    expect(events).toEqual(['start 0'])
    gates[0]!.resolve()
    await settle()
    expect(events).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2'])
  })

  it('keeps handling messages sent by a handler to itself without starving the event loop', async () => {
    node = await createNode({ id: 'n1', throughput: 10 })
    let count = 0
    let timerFired = false
    setTimeout(() => {
      timerFired = true
    }, 0)
    const done = deferred<number>()
    node.spawn<number>('loop', {
      receive(n, ctx) {
        count++
        if (n < 2_000) ctx.self.send(n + 1)
        else done.resolve(count)
      },
    })
    node.send('loop@n1', 0)
    expect(await done.promise).toBe(2_001)
    expect(timerFired).toBe(true)
  })

  it('runs started before the first message and stopped on stop', async () => {
    node = await createNode({ id: 'n1' })
    const events: string[] = []
    const ref = node.spawn('hooks', {
      async started() {
        await settle()
        events.push('started')
      },
      receive: (msg) => void events.push(`got ${msg}`),
      stopped: () => void events.push('stopped'),
    })
    ref.send('a')
    await settle()
    await settle()
    await node.stop(ref)
    expect(events).toEqual(['started', 'got a', 'stopped'])
  })
})

describe('ask and reply', () => {
  it('resolves with ctx.reply', async () => {
    node = await createNode({ id: 'n1' })
    const ref = node.spawn<number, number>('double', { receive: (n, ctx) => ctx.reply(n * 2) })
    expect(await node.ask('double@n1', 21, { timeoutMs: 500 })).toBe(42)
    expect(await ref.ask(5)).toBe(10)
  })

  it('replies to a plain send from an actor by sending to that actor', async () => {
    node = await createNode({ id: 'n1' })
    const got = deferred<unknown>()
    node.spawn('pong', { receive: (msg, ctx) => ctx.reply(`pong ${msg}`) })
    node.spawn('ping', {
      receive(msg, ctx) {
        if (msg === 'go') ctx.send('pong@n1', 'x')
        else got.resolve({ msg, sender: ctx.sender?.address })
      },
    })
    node.send('ping@n1', 'go')
    expect(await got.promise).toEqual({ msg: 'pong x', sender: 'pong@n1' })
  })

  it('lets a handler ask another actor', async () => {
    node = await createNode({ id: 'n1' })
    const inc = node.spawn<number, number>('inc', { receive: (n, ctx) => ctx.reply(n + 1) })
    node.spawn<number, number>('twice', {
      async receive(n, ctx) {
        const once = await ctx.ask(inc, n)
        ctx.reply(await ctx.ask(inc, once))
      },
    })
    expect(await node.ask('twice@n1', 1)).toBe(3)
  })

  it('rejects with ASK_TIMEOUT naming the address and the time', async () => {
    const clock = createTestClock()
    node = await createNode({ id: 'n1', clock })
    node.spawn('mute', { receive() {} })
    const reply = node.ask('mute@n1', 1, { timeoutMs: 500 })
    const outcome = reply.catch((error: unknown) => error)
    await clock.advance(499)
    expect(node.metrics().pendingAsks).toBe(1)
    await clock.advance(1)
    const error = (await outcome) as TroupeError
    expect(error).toBeInstanceOf(TroupeError)
    expect(error.code).toBe('ASK_TIMEOUT')
    expect(error.message).toBe('ask to "mute@n1" got no reply within 500 ms')
  })

  it('makes a late reply a no-reply-target dead letter', async () => {
    const clock = createTestClock()
    node = await createNode({ id: 'n1', clock })
    const letters = collectDeadLetters(node)
    const gate = deferred()
    node.spawn('late', {
      async receive(_msg, ctx) {
        await gate.promise
        ctx.reply('too late')
      },
    })
    const outcome = node.ask('late@n1', 1, { timeoutMs: 100 }).catch((e: TroupeError) => e.code)
    await clock.advance(100)
    expect(await outcome).toBe('ASK_TIMEOUT')
    gate.resolve()
    await settle()
    expect(letters).toEqual([
      { to: '$reply@n1', from: 'late@n1', message: 'too late', reason: 'no-reply-target' },
    ])
  })

  it('rejects an ask whose handler throws with HANDLER_ERROR', async () => {
    node = await createNode({ id: 'n1' })
    node.on('actor-error', () => {})
    node.spawn('bad', {
      receive() {
        throw new Error('boom')
      },
    })
    const error = (await node.ask('bad@n1', 1).catch((e: unknown) => e)) as TroupeError
    expect(error.code).toBe('HANDLER_ERROR')
    expect(error.message).toContain('boom')
    expect((error.cause as Error).message).toBe('boom')
  })

  it('refuses a bad timeout', async () => {
    node = await createNode({ id: 'n1' })
    expect(() => node.ask('x@n1', 1, { timeoutMs: -1 })).toThrow(/bad timeoutMs -1/)
  })
})

describe('become and children', () => {
  it('swaps the behavior for the following messages', async () => {
    node = await createNode({ id: 'n1' })
    node.spawn<string, string>('door', {
      receive(msg, ctx) {
        ctx.reply(`closed:${msg}`)
        ctx.become({ receive: (m, c) => c.reply(`open:${m}`) })
      },
    })
    expect(await node.ask('door@n1', 'a')).toBe('closed:a')
    expect(await node.ask('door@n1', 'b')).toBe('open:b')
  })

  it('names children parent/child and stops them with their parent', async () => {
    node = await createNode({ id: 'n1' })
    const stopped: string[] = []
    const child = (tag: string) => ({ receive() {}, stopped: () => void stopped.push(tag) })
    node.spawn('parent', {
      started(ctx) {
        const kid = ctx.spawn('kid', {
          started: (c) => void c.spawn('grandkid', child('grandkid')),
          receive() {},
          stopped: () => void stopped.push('kid'),
        })
        expect(kid.address).toBe('parent/kid@n1')
      },
      receive: (_m, ctx) => ctx.reply('ok'),
      stopped: () => void stopped.push('parent'),
    })
    await node.ask('parent@n1', 'ready?')
    await settle()
    expect(node.metrics().actors).toBe(3)
    expect(
      await node.ask('parent/kid/grandkid@n1', 1, { timeoutMs: 50 }).catch((e: TroupeError) => e.code),
    ).toBe('ASK_TIMEOUT')
    await node.stop('parent@n1')
    expect(stopped).toEqual(['grandkid', 'kid', 'parent'])
    expect(node.metrics().actors).toBe(0)
  })

  it('refuses a duplicate name, and allows it again once the first has stopped', async () => {
    node = await createNode({ id: 'n1' })
    node.spawn('solo', { receive() {} })
    expect(() => node.spawn('solo', { receive() {} })).toThrowError(
      expect.objectContaining({ code: 'DUPLICATE_NAME', message: expect.stringContaining('"solo"') }),
    )
    await node.stop('solo@n1')
    expect(() => node.spawn('solo', { receive() {} })).not.toThrow()
  })

  it('refuses bad names and behaviors synchronously', async () => {
    node = await createNode({ id: 'n1' })
    expect(() => node.spawn('bad name', { receive() {} })).toThrowError(
      expect.objectContaining({ code: 'BAD_ADDRESS' }),
    )
    expect(() => node.spawn('x', {} as never)).toThrowError(expect.objectContaining({ code: 'BAD_ARGUMENT' }))
    expect(() => node.spawn('x', { receive() {} }, { mailbox: { capacity: 0 } })).toThrow(
      /mailbox.capacity 0/,
    )
    expect(() => node.send('nope', 1)).toThrowError(expect.objectContaining({ code: 'BAD_ADDRESS' }))
    expect(() => node.ask('a@b@c', 1)).toThrow(/more than one "@"/)
    await expect(createNode({ id: 'bad id' })).rejects.toThrow(/bad node id "bad id"/)
  })
})

describe('close', () => {
  it('stops every actor, runs stopped hooks, rejects pending asks, and is idempotent', async () => {
    node = await createNode({ id: 'n1' })
    const stopped: string[] = []
    node.spawn('a', { receive() {}, stopped: () => void stopped.push('a') })
    node.spawn('b', { receive() {}, stopped: () => void stopped.push('b') })
    const pending = node.ask('a@n1', 'never answered').catch((e: TroupeError) => e.code)
    await settle()
    const first = node.close()
    expect(node.close()).toBe(first)
    await first
    expect(stopped.sort()).toEqual(['a', 'b'])
    expect(await pending).toBe('CLOSED')
    expect(node.metrics().actors).toBe(0)
    expect(() => node.spawn('c', { receive() {} })).toThrowError(expect.objectContaining({ code: 'CLOSED' }))
    expect(await node.ask('a@n1', 1).catch((e: TroupeError) => e.reason)).toBe('stopped')
  })

  it('supports await using', async () => {
    let stopped = false
    {
      await using scoped = await createNode({ id: 'n2' })
      scoped.spawn('x', {
        receive() {},
        stopped() {
          stopped = true
        },
      })
    }
    expect(stopped).toBe(true)
  })
})
