/**
 * The typed API, checked by the compiler: `npm test` type-checks this file
 * (every `@ts-expect-error` must be an error, every `expectTypeOf` must hold),
 * and vitest runs it too. Each case is a hole a user could fall into.
 */
import { type ActorRef, type ActorType, createNode, type Node } from '@troupe/core'
import { describe, expectTypeOf, it } from 'vitest'

type Cmd = { inc: number } | { get: true }

interface Chat {
  room: ActorType<{ say: string }, number>
  mute: ActorType<string, never>
}

/** The type is the point here; settles the promise so the run leaves nothing dangling. */
function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {})
  return promise
}

describe('typed refs', () => {
  it('take only their own message type, through every path', async () => {
    const node = await createNode({ id: 'n1' })
    const counter = node.spawn<Cmd, number>('counter', { receive: (_msg, ctx) => ctx.reply(1) })
    counter.send({ inc: 1 })
    // @ts-expect-error a wrong message through the ref
    counter.send({ inc: 'one' })
    node.send(counter, { get: true })
    // @ts-expect-error a wrong message through node.send(ref, ...)
    node.send(counter, 'inc')
    // @ts-expect-error a wrong message through node.ask(ref, ...)
    void quiet(node.ask(counter, { dec: 1 }))
    node.spawn('caller', {
      receive(_msg, ctx) {
        ctx.send(counter, { inc: 2 })
        // @ts-expect-error a wrong message through ctx.send(ref, ...)
        ctx.send(counter, 42)
        // @ts-expect-error a wrong message through ctx.ask(ref, ...)
        void quiet(ctx.ask(counter, []))
      },
    })
    await node.close()
  })

  it("answer with the ref's reply type, never one the caller picks", async () => {
    const node = await createNode({ id: 'n1' })
    const counter = node.spawn<Cmd, number>('counter', { receive: (_msg, ctx) => ctx.reply(1) })
    expectTypeOf(quiet(counter.ask({ get: true }))).toEqualTypeOf<Promise<number>>()
    expectTypeOf(quiet(node.ask(counter, { get: true }))).toEqualTypeOf<Promise<number>>()
    // @ts-expect-error the reply is a number
    const s: string = await counter.ask({ get: true })
    void s
    // @ts-expect-error ask takes no reply type of the caller's choosing
    void quiet(counter.ask<string>({ get: true }))
    // @ts-expect-error a handler can only reply with its reply type
    node.spawn<Cmd, number>('liar', { receive: (_msg, ctx) => ctx.reply('one') })
    await node.close()
  })

  it('is not assignable from an untyped ref, nor from one that answers something else', () => {
    const untyped = {} as ActorRef
    const answersStrings = {} as ActorRef<Cmd, string>
    // @ts-expect-error an untyped ref answers anything: not a ref that answers numbers
    const a: ActorRef<Cmd, number> = untyped
    // @ts-expect-error a ref that answers strings is not one that answers numbers
    const b: ActorRef<Cmd, number> = answersStrings
    // a ref that takes anything may stand where one that takes Cmd is expected
    const takesAll = {} as ActorRef<unknown, number>
    const c: ActorRef<Cmd, number> = takesAll
    // @ts-expect-error one that takes only Cmd may not stand where one that takes anything is expected
    const d: ActorRef<unknown, number> = {} as ActorRef<Cmd, number>
    void [a, b, c, d]
  })

  it('leaves the sender of a message untyped to send to, until the code says what it takes', async () => {
    const node = await createNode({ id: 'n1' })
    node.spawn('echo', {
      receive(_msg, ctx) {
        // @ts-expect-error what the sender takes is not known
        ctx.sender?.send('hello')
        ctx.reply('hello') // the way to answer it
      },
    })
    await node.close()
  })
})

describe('a protocol map: typed addressing by name', () => {
  it('types refs, sends and asks by the actor name in the address', async () => {
    const node: Node<Chat> = await createNode<Chat>({ id: 'n1' })
    expectTypeOf(node.ref('room@n2')).toEqualTypeOf<ActorRef<{ say: string }, number>>()
    node.send('room@n2', { say: 'hi' })
    // @ts-expect-error the room takes { say }
    node.send('room@n2', { shout: 'hi' })
    expectTypeOf(quiet(node.ask('room@n2', { say: 'hi' }))).toEqualTypeOf<Promise<number>>()
    expectTypeOf(quiet(node.ask('mute@n2', 'x'))).toEqualTypeOf<Promise<never>>()
    // names the protocol does not list, and addresses not known until run time, are untyped
    expectTypeOf(quiet(node.ask('other@n2', 1))).toEqualTypeOf<Promise<unknown>>()
    const address: string = 'room@n2'
    expectTypeOf(quiet(node.ask(address, 1))).toEqualTypeOf<Promise<unknown>>()
    await node.close()
  })

  it('leaves a node without a protocol untyped by address', async () => {
    const node = await createNode({ id: 'n1' })
    node.send('anything@n1', { any: 'thing' })
    expectTypeOf(quiet(node.ask('echo@n1', 1))).toEqualTypeOf<Promise<unknown>>()
    await node.close()
  })
})
