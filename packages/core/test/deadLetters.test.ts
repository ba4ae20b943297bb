import { createNode, DEAD_LETTER_REASONS, type Node, type TroupeError } from '@troupe/core'
import { afterEach, describe, expect, it } from 'vitest'
import { collectDeadLetters, deferred, settle } from './helpers.js'

let node: Node
afterEach(() => node?.close())

describe('dead letters', () => {
  it('no-such-actor: a send to a missing actor, and an ask to one rejects at once', async () => {
    node = await createNode({ id: 'n1' })
    const letters = collectDeadLetters(node)
    expect(node.send('ghost@n1', 'hello')).toBe(false)
    node.spawn('sender', { receive: (_m, ctx) => void ctx.send('ghost@n1', 'from an actor') })
    node.send('sender@n1', 'go')
    await settle()
    const error = (await node.ask('ghost@n1', 'q', { timeoutMs: 60_000 }).catch((e) => e)) as TroupeError
    expect(error.code).toBe('NO_SUCH_ACTOR')
    expect(error.reason).toBe('no-such-actor')
    expect(error.message).toContain('"ghost@n1"')
    expect(letters).toEqual([
      { to: 'ghost@n1', from: undefined, message: 'hello', reason: 'no-such-actor' },
      { to: 'ghost@n1', from: 'sender@n1', message: 'from an actor', reason: 'no-such-actor' },
      { to: 'ghost@n1', from: undefined, message: 'q', reason: 'no-such-actor' },
    ])
  })

  it('queue-full: a bounded mailbox refuses overflow; an ask past it rejects with QUEUE_FULL', async () => {
    node = await createNode({ id: 'n1' })
    const letters = collectDeadLetters(node)
    const gate = deferred()
    const handled: number[] = []
    const ref = node.spawn<number>(
      'small',
      {
        async receive(n) {
          await gate.promise
          handled.push(n)
        },
      },
      { mailbox: { capacity: 3 } },
    )
    ref.send(0)
    await settle() // 0 is being handled, the mailbox is empty
    const accepted = [1, 2, 3, 4, 5].map((n) => ref.send(n))
    expect(accepted).toEqual([true, true, true, false, false])
    expect(await ref.ask(6).catch((e) => e.code)).toBe('QUEUE_FULL')
    gate.resolve()
    await settle()
    expect(handled).toEqual([0, 1, 2, 3])
    expect(letters.map((l) => [l.message, l.reason])).toEqual([
      [4, 'queue-full'],
      [5, 'queue-full'],
      [6, 'queue-full'],
    ])
  })

  it('stopped: messages queued behind a stop, and messages to a closed node', async () => {
    node = await createNode({ id: 'n1' })
    const letters = collectDeadLetters(node)
    const gate = deferred()
    const ref = node.spawn<string>('quitter', {
      async receive(msg, ctx) {
        if (msg === 'quit') {
          ctx.stop()
          await gate.promise
        }
      },
    })
    ref.send('quit')
    await settle()
    ref.send('queued 1')
    ref.send('queued 2')
    gate.resolve()
    await node.stop(ref)
    await node.close()
    node.send('quitter@n1', 'after close')
    expect(letters.map((l) => [l.message, l.reason])).toEqual([
      ['queued 1', 'stopped'],
      ['queued 2', 'stopped'],
      ['after close', 'stopped'],
    ])
  })

  it('node-down: a standalone node has no route to another node', async () => {
    node = await createNode({ id: 'n1' })
    const letters = collectDeadLetters(node)
    node.send('printer@n2', 'page')
    expect(letters).toEqual([
      {
        to: 'printer@n2',
        from: undefined,
        message: 'page',
        reason: 'node-down',
        detail: 'this node is not in a cluster',
      },
    ])
  })

  it('no-reply-target: a reply to a message with neither asker nor sender', async () => {
    node = await createNode({ id: 'n1' })
    const letters = collectDeadLetters(node)
    node.spawn('echo', { receive: (msg, ctx) => ctx.reply(msg) })
    node.send('echo@n1', 'unasked')
    await settle()
    expect(letters).toEqual([
      { to: '$reply@n1', from: 'echo@n1', message: 'unasked', reason: 'no-reply-target' },
    ])
  })

  it('counts dead letters by reason in metrics', async () => {
    node = await createNode({ id: 'n1' })
    node.send('a@n1', 1)
    node.send('b@n1', 2)
    node.send('c@n9', 3)
    const { deadLetters } = node.metrics()
    expect(Object.keys(deadLetters)).toEqual([...DEAD_LETTER_REASONS])
    expect(deadLetters['no-such-actor']).toBe(2)
    expect(deadLetters['node-down']).toBe(1)
    expect(deadLetters['queue-full']).toBe(0)
  })
})
