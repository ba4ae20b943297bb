/**
 * Hostile tabs that lie (over real sockets, to a hub in its own process):
 * answers to asks they were never sent, in other nodes' names or in their
 * own; dead-letter reports; a hub role they were not given, and gossip
 * meant to move other nodes' routes or make the hub dial them. And a node
 * named `__proto__`, which is a node like any other.
 */
import { createServer, type Server } from 'node:net'
import type { DeadLetterReason } from '@troupe/core'
import { type DeadEnvelope, encodeValue, type ReplyEnvelope } from '@troupe/core/internal'
import { type StartedNodeWorker, sleep, startNodeWorker, waitFor } from '@troupe/test-support'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { helloOutcome, hubHasRead, joinRaw, LISTEN, messageFrom, type RawClient } from './support.js'

interface HubMetrics {
  pendingAsks: number
  peers: Record<string, { connected: boolean; rejected: number }>
}

const SLOW_MS = 2_500
/** Ask ids an attacker might guess, were they still counted from 1. */
const GUESSES = Array.from({ length: 10_000 }, (_, i) => i + 1)
const HUB_SECRET = 'a hub secret of some length'

let hub: StartedNodeWorker
let victim: StartedNodeWorker

beforeAll(async () => {
  // a naive app's hook: any token gets in, as the principal it names
  hub = await startNodeWorker('hub', { ...LISTEN, hubSecret: HUB_SECRET }, { authenticate: { mode: 'any' } })
  victim = await startNodeWorker('victim', { seeds: [hub.url], token: 'alice' })
  await waitFor(async () => (await hub.members()).some((m) => m.id === 'victim' && m.status === 'up'), {
    what: 'the victim joins the hub',
  })
  await hub.request({ cmd: 'spawnSlow', name: 'slow', delayMs: SLOW_MS })
  await victim.request({ cmd: 'spawnSlow', name: 'slow', delayMs: SLOW_MS })
}, 30_000)

afterAll(async () => {
  await victim?.kill()
  await hub?.kill()
})

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** An answer to ask `askId` of `dest`, claiming to come from `origin` (at position `seq` of its stream). */
function reply(origin: string, dest: string, askId: number, seq: number): ReplyEnvelope {
  const body = encodeValue({ slow: 'FORGED' })
  return { type: 'reply', seq, base: 1, origin, originIncarnation: 1, dest, askId, failed: false, body }
}

/** A report that a message of `dest` to `to` became a dead letter, claiming to come from `origin`. */
function dead(origin: string, dest: string, to: string, askId: number, seq: number): DeadEnvelope {
  const reason: DeadLetterReason = 'no-such-actor'
  const body = encodeValue('FORGED')
  return {
    type: 'dead',
    seq,
    base: 1,
    origin,
    originIncarnation: 1,
    dest,
    to,
    from: undefined,
    askId,
    reason,
    body,
  }
}

/** `client`'s own origin and incarnation, and its next position to `dest`. */
function own<T extends ReplyEnvelope | DeadEnvelope>(client: RawClient, envelope: T): T {
  return {
    ...envelope,
    origin: client.hello.from,
    originIncarnation: client.hello.incarnation,
    seq: client.nextSeq(envelope.dest),
  }
}

/** Sends `envelopes` in frames of 1 000. */
function spray(client: RawClient, envelopes: ReadonlyArray<ReplyEnvelope | DeadEnvelope>): void {
  for (let i = 0; i < envelopes.length; i += 1_000) client.send(envelopes.slice(i, i + 1_000))
}

describe('forged answers', () => {
  it('settle no ask: the victim and the hub get their real answers, forgeries are counted, no dead letter is believed', async () => {
    const victimAsk = victim.ask('slow@hub', 'victim asks', { timeoutMs: 10_000 })
    const hubAsk = hub.ask('slow@victim', 'hub asks', { timeoutMs: 10_000 })
    await waitFor(async () => (await victim.internals()).askIds.length === 1, { what: "the victim's ask" })
    await waitFor(async () => (await hub.internals()).askIds.length === 1, { what: "the hub's ask" })
    // the real ask ids, as if they had leaked: only the node asked may answer
    const [victimAskId] = (await victim.internals()).askIds
    const [hubAskId] = (await hub.internals()).askIds
    const ids = [victimAskId!, hubAskId!, ...GUESSES]

    const mallory = await joinRaw(hub.url, 'mallory', { token: 'mallory' })
    cleanups.push(() => mallory.peer.terminate())
    // in the names of the nodes asked: the hub drops them (forged), before anyone sees them
    const forged = [
      ...ids.map((id) => reply('hub', 'victim', id, 1)),
      ...ids.map((id) => reply('victim', 'hub', id, 1)),
      dead('hub', 'victim', 'slow@hub', victimAskId!, 1),
      dead('victim', 'hub', 'slow@victim', hubAskId!, 1),
    ]
    // in its own name, about a message the victim sent to the hub: the hub refuses it
    const refused = [own(mallory, dead('', 'victim', 'slow@hub', victimAskId!, 0))]
    // in its own name, answering asks that went to other nodes: relayed, and not believed where they arrive
    const ownAnswers = [
      ...ids.map((id) => own(mallory, reply('', 'victim', id, 0))),
      ...ids.map((id) => own(mallory, reply('', 'hub', id, 0))),
    ]
    spray(mallory, [...forged, ...refused, ...ownAnswers])

    expect(await victimAsk).toEqual({ ok: true, value: { slow: 'victim asks' } })
    expect(await hubAsk).toEqual({ ok: true, value: { slow: 'hub asks' } })
    const metrics = await hub.metrics<HubMetrics>()
    expect(metrics.peers.mallory!.rejected).toBe(forged.length + refused.length)
    expect(metrics.peers.mallory!.connected).toBe(true)
    expect(metrics.pendingAsks).toBe(0)
    // mallory heard its own report refused
    expect(await mallory.peer.waitForEnvelope((e) => e.type === 'refused', 5_000)).toMatchObject({
      dest: 'mallory',
      node: 'victim',
      reason: 'rejected',
    })
    // what reached the victim from mallory: answers nobody asked mallory for, each a no-reply-target
    await waitFor(
      () =>
        victim.events.filter((e) => e.event === 'deadletter' && e.reason === 'no-reply-target').length >=
        ids.length,
      { what: "the victim drops mallory's answers" },
    )
    const victimLetters = victim.events.filter((e) => e.event === 'deadletter')
    expect(victimLetters.filter((e) => e.reason !== 'no-reply-target')).toEqual([])
    // each says where the answer came from: replies to the victim from mallory's node
    expect(new Set(victimLetters.map((e) => `${String(e.to)} from ${String(e.from)}`))).toEqual(
      new Set(['$reply@victim from $reply@mallory']),
    )
    console.log(
      `forged answers: ${forged.length} in other nodes' names dropped by the hub, ${refused.length} refused, ${ownAnswers.length} in mallory's own name relayed and not believed; rejected on mallory's link: ${metrics.peers.mallory!.rejected}; both real asks answered`,
    )
  }, 30_000)

  it('a dead-letter report about a message the victim never sent is not believed', async () => {
    const mallory = await joinRaw(hub.url, 'mallory-2', { token: 'mallory' })
    cleanups.push(() => mallory.peer.terminate())
    const before = victim.events.length
    // about its own actor, so the hub lets it through; the victim never sent anything there
    const report = own(mallory, dead('', 'victim', 'inbox@mallory-2', 0, 0))
    mallory.send([{ ...report, from: 'admin@victim' }])
    // the victim acknowledges it: it has arrived and been handled
    const acked = await mallory.peer.waitForEnvelope((e) => e.type === 'ack' && e.from === 'victim', 5_000)
    expect(acked).toBeDefined()
    await sleep(500) // a window for the dead letter the victim must not emit to reach this process
    const believed = victim.events.slice(before).filter((e) => e.event === 'deadletter')
    expect(believed).toEqual([])
  }, 20_000)
})

describe('a tab that says it is a hub', () => {
  let trap: Server
  let dials = 0
  beforeAll(async () => {
    // where the lies point: the hub must never dial it
    trap = createServer((socket) => {
      dials++
      socket.destroy()
    })
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve))
  })
  afterAll(() => new Promise<void>((resolve) => trap.close(() => resolve())))
  const trapUrl = () => {
    const address = trap.address()
    return `ws://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
  }

  it('is closed with 4403, whatever its token; with the hub secret a hub gets in', async () => {
    const asHub = { role: 'hub' as const, url: trapUrl() }
    expect(await helloOutcome(hub.url, 'fakehub', { ...asHub, token: 'anything' })).toMatchObject({
      code: 4403,
    })
    expect(await helloOutcome(hub.url, 'fakehub', asHub)).toMatchObject({ code: 4403 })
    expect(await helloOutcome(hub.url, 'fakehub', { ...asHub, token: `${HUB_SECRET}!` })).toMatchObject({
      code: 4403,
    })
    expect(await helloOutcome(hub.url, 'realhub', { role: 'hub', token: HUB_SECRET })).toBe('welcome')
    // without an authenticate hook, the hub secret alone decides
    const strict = await startNodeWorker('strict', { ...LISTEN, hubSecret: HUB_SECRET })
    cleanups.push(() => strict.kill())
    expect(await helloOutcome(strict.url, 'fakehub', { ...asHub, token: 'anything' })).toMatchObject({
      code: 4403,
    })
    expect(await helloOutcome(strict.url, 'realhub', { role: 'hub', token: HUB_SECRET })).toBe('welcome')
    await sleep(1_500) // a window in which the hub would dial what it was told of
    expect(dials).toBe(0)
  }, 30_000)

  it("is not believed when it gossips: other nodes' routes stay, the hub dials nothing it names", async () => {
    const liar = await joinRaw(hub.url, 'liar', { token: 'liar' })
    cleanups.push(() => liar.peer.terminate())
    const before = (await hub.members()).find((m) => m.id === 'victim')!
    liar.send([
      {
        type: 'gossip',
        members: [
          // the victim left, or moved behind the liar, in a newer run of it
          {
            id: 'victim',
            role: 'client',
            incarnation: before.incarnation + 1,
            status: 'left',
            via: 'liar',
            url: undefined,
            principal: undefined,
            kinds: [],
          },
          {
            id: 'evilhub',
            role: 'hub',
            incarnation: 1,
            status: 'up',
            via: undefined,
            url: trapUrl(),
            principal: undefined,
            kinds: [],
          },
        ],
      },
    ])
    // the hub has read it once it answers an ask sent after it
    await hubHasRead(liar, 'hub', 7)
    await sleep(1_500) // a window in which the hub would dial the trap
    const after = await hub.members()
    expect(after.find((m) => m.id === 'victim')).toMatchObject({
      status: 'up',
      via: 'hub',
      incarnation: before.incarnation,
    })
    expect(after.some((m) => m.id === 'evilhub')).toBe(false)
    expect(dials).toBe(0)
    expect(await hub.ask('echo@victim', 'still here?')).toEqual({ ok: true, value: 'still here?' })
    expect(await victim.ask('echo@hub', 'and you?')).toEqual({ ok: true, value: 'and you?' })
  }, 20_000)
})

describe('a node named __proto__', () => {
  it('is a peer like any other, in metrics and members, and gets its answers', async () => {
    const proto = await joinRaw(hub.url, '__proto__', { token: 'proto' })
    cleanups.push(() => proto.peer.terminate())
    proto.send([messageFrom(proto, 'echo@hub', encodeValue('hello'), { askId: 42 })])
    const answer = await proto.peer.waitForEnvelope((e) => e.type === 'reply', 5_000)
    expect(answer).toMatchObject({ type: 'reply', origin: 'hub', dest: '__proto__', askId: 42 })
    const { peers } = await hub.metrics<HubMetrics>()
    expect(Object.hasOwn(peers, '__proto__')).toBe(true)
    expect(Object.getOwnPropertyDescriptor(peers, '__proto__')?.value).toMatchObject({
      connected: true,
      rejected: 0,
    })
    expect((await hub.members()).find((m) => m.id === '__proto__')).toMatchObject({
      status: 'up',
      via: 'hub',
    })
  }, 20_000)
})
