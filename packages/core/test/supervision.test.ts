import { type ActorErrorEvent, createNode, type Node } from '@troupe/core'
import { createTestClock } from '@troupe/core/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { settle } from './helpers.js'

let node: Node
afterEach(() => node?.close())

/** A counter that fails on 'boom'; its count lives in the factory's closure. */
const counter =
  (log: string[] = []) =>
  () => {
    let count = 0
    return {
      started: () => void log.push('started'),
      stopped: () => void log.push('stopped'),
      receive(msg: 'inc' | 'boom' | 'get', ctx: { reply(v: number): void }) {
        if (msg === 'boom') throw new Error('boom')
        if (msg === 'inc') count++
        if (msg === 'get') ctx.reply(count)
      },
    }
  }

async function withErrors(): Promise<ActorErrorEvent[]> {
  const errors: ActorErrorEvent[] = []
  node.on('actor-error', (event) => errors.push(event))
  return errors
}

describe('supervision', () => {
  it('restart makes a fresh behavior from the factory, so state resets, and reports the error', async () => {
    node = await createNode({ id: 'n1' })
    const errors = await withErrors()
    const log: string[] = []
    const ref = node.spawn('c', counter(log))
    ref.send('inc')
    ref.send('inc')
    expect(await ref.ask('get')).toBe(2)
    ref.send('boom')
    ref.send('inc')
    expect(await ref.ask('get')).toBe(1)
    expect(log).toEqual(['started', 'stopped', 'started'])
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ address: 'c@n1', phase: 'receive', message: 'boom', action: 'restart' })
    expect((errors[0]!.error as Error).message).toBe('boom')
  })

  it('restart keeps the messages queued behind the failing one', async () => {
    node = await createNode({ id: 'n1' })
    await withErrors()
    const seen: number[] = []
    const ref = node.spawn<number, number[]>('q', () => ({
      receive(n, ctx) {
        if (n === -1) return ctx.reply(seen)
        if (n === 3) throw new Error('three')
        seen.push(n)
      },
    }))
    for (let i = 0; i < 6; i++) ref.send(i)
    expect(await ref.ask(-1)).toEqual([0, 1, 2, 4, 5])
  })

  it('resume keeps state', async () => {
    node = await createNode({ id: 'n1' })
    const errors = await withErrors()
    const ref = node.spawn('c', counter(), { supervision: { strategy: 'resume' } })
    ref.send('inc')
    ref.send('boom')
    ref.send('inc')
    expect(await ref.ask('get')).toBe(2)
    expect(errors.map((e) => e.action)).toEqual(['resume'])
  })

  it('stop stops the actor; later messages are dead letters', async () => {
    node = await createNode({ id: 'n1' })
    const errors = await withErrors()
    const log: string[] = []
    const ref = node.spawn('c', counter(log), { supervision: { strategy: 'stop' } })
    ref.send('boom')
    await settle()
    expect(errors.map((e) => e.action)).toEqual(['stop'])
    expect(log).toEqual(['started', 'stopped'])
    expect(node.metrics().actors).toBe(0)
    expect(await ref.ask('get').catch((e) => e.reason)).toBe('no-such-actor')
  })

  it('stops after maxRestarts within withinMs, and allows restarts again once the window has passed', async () => {
    const clock = createTestClock()
    node = await createNode({ id: 'n1', clock })
    const errors = await withErrors()
    const options = { supervision: { maxRestarts: 2, withinMs: 1_000 } }
    const ref = node.spawn('c', counter(), options)
    ref.send('boom')
    ref.send('boom')
    expect(await ref.ask('get')).toBe(0)
    await clock.advance(1_000)
    ref.send('boom')
    ref.send('boom')
    expect(await ref.ask('get')).toBe(0)
    ref.send('boom')
    await settle()
    expect(errors.map((e) => e.action)).toEqual(['restart', 'restart', 'restart', 'restart', 'stop'])
    expect(node.metrics().actors).toBe(0)
  })

  it('supervises a failing started hook and an async handler rejection', async () => {
    node = await createNode({ id: 'n1' })
    const errors = await withErrors()
    let starts = 0
    const ref = node.spawn<string, string>('flaky', () => ({
      started() {
        if (++starts === 1) throw new Error('first start fails')
      },
      async receive(msg, ctx) {
        await settle()
        if (msg === 'reject') throw new Error('async failure')
        ctx.reply(`ok ${starts}`)
      },
    }))
    expect(await ref.ask('hi')).toBe('ok 2')
    expect(await ref.ask('reject').catch((e) => e.code)).toBe('HANDLER_ERROR')
    expect(await ref.ask('hi')).toBe('ok 3')
    expect(errors.map((e) => [e.phase, e.action])).toEqual([
      ['started', 'restart'],
      ['receive', 'restart'],
    ])
  })

  it('reports a failing stopped hook and still stops', async () => {
    node = await createNode({ id: 'n1' })
    const errors = await withErrors()
    node.spawn('x', {
      receive() {},
      stopped() {
        throw new Error('cleanup failed')
      },
    })
    await settle()
    await node.stop('x@n1')
    expect(errors).toMatchObject([{ phase: 'stopped', action: 'none' }])
    expect(node.metrics().actors).toBe(0)
  })

  it('prints an error nobody listens for instead of swallowing it', async () => {
    node = await createNode({ id: 'n1' })
    const printed: unknown[] = []
    const original = console.error
    console.error = (...args: unknown[]) => void printed.push(args)
    try {
      node.spawn('x', {
        receive() {
          throw new Error('unheard')
        },
      })
      node.send('x@n1', 1)
      await settle()
    } finally {
      console.error = original
    }
    expect(String(printed[0])).toContain('actor "x@n1" failed in receive (restart)')
  })
})
