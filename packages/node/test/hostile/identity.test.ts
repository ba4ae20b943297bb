/**
 * Hostile tabs that claim another node's id (over real sockets, against hubs
 * in their own processes): a live tab's id at another hub, with another
 * principal or another incarnation; a hub's id after the hub died; an
 * incarnation far in the future; and, without `authenticate`, the victim's
 * very id and incarnation followed by an ack for what was never sent.
 */
import { type AckEnvelope, encodeValue } from '@troupe/core/internal'
import { type StartedNodeWorker, sleep, startNodeWorker, waitFor } from '@troupe/test-support'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { hello, openRawPeer } from '../support/rawPeer.js'
import { helloOutcome, codec as hubCodec, joinRaw, LISTEN, messageFrom } from './support.js'

const HUB_SECRET = 'the hubs of this cluster know this'
const MAX_SAFE = Number.MAX_SAFE_INTEGER

const workers: StartedNodeWorker[] = []
afterAll(async () => {
  for (const worker of workers.reverse()) await worker.kill()
})
const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function start(...args: Parameters<typeof startNodeWorker>): Promise<StartedNodeWorker> {
  const worker = await startNodeWorker(...args)
  workers.push(worker)
  return worker
}

const isUp = async (at: StartedNodeWorker, id: string, via?: string) =>
  (await at.members()).some((m) => m.id === id && m.status === 'up' && (via === undefined || m.via === via))

/** Asks `echo@to` from `from` until one ask succeeds; resolves with how long that took. */
async function worksAgain(from: StartedNodeWorker, to: string): Promise<number> {
  const started = Date.now()
  let last: unknown
  await waitFor(
    async () => {
      const result = await from.ask(`echo@${to}`, 'are you there?', { timeoutMs: 1_000 })
      last = result
      return result.ok
    },
    {
      timeoutMs: 10_000,
      what: async () =>
        `${from.id} asks ${to} again (last ${JSON.stringify(last)}; ${from.id} knows ${JSON.stringify(await from.members())}; its links ${JSON.stringify((await from.metrics<{ peers: unknown }>()).peers)})`,
    },
  )
  return Date.now() - started
}

describe('a live tab’s id, claimed at another hub', () => {
  let a: StartedNodeWorker
  let b: StartedNodeWorker
  let x: StartedNodeWorker
  beforeAll(async () => {
    // a naive app's hook: the token names the principal
    const auth = { authenticate: { mode: 'any' as const } }
    a = await start('a', { ...LISTEN, hubSecret: HUB_SECRET }, auth)
    b = await start('b', { ...LISTEN, hubSecret: HUB_SECRET, seeds: [a.url] }, auth)
    x = await start('x', { seeds: [b.url], token: 'alice' })
    await waitFor(() => isUp(a, 'x', 'b'), { what: 'hub a hears of tab x behind hub b' })
  }, 30_000)

  it('is refused with 4409 while the tab lives, whoever asks; the tab keeps getting its messages', async () => {
    const incarnation = x.incarnation + 1
    expect(await helloOutcome(a.url, 'x', { token: 'mallory' })).toMatchObject({ code: 4409 })
    expect(await helloOutcome(a.url, 'x', { token: 'alice', incarnation })).toMatchObject({ code: 4409 })
    expect(await helloOutcome(a.url, 'x', { token: 'alice', incarnation: x.incarnation - 1 })).toMatchObject({
      code: 4409,
    })
    expect(await helloOutcome(b.url, 'x', { token: 'mallory' })).toMatchObject({ code: 4409 })
    expect(await a.sendNumbered('log@x', 0, 100)).toBe(100)
    await waitFor(async () => (await x.numbersFrom('a')).length >= 100, { what: 'x gets what a sent' })
    expect(await x.numbersFrom('a')).toEqual(Array.from({ length: 100 }, (_, i) => i))
    expect(await a.ask('echo@x', 'still you?')).toEqual({ ok: true, value: 'still you?' })
  }, 30_000)

  it('with an incarnation far in the future is refused with 4002, and does not keep the id from its tab', async () => {
    expect(await helloOutcome(a.url, 'x', { token: 'alice', incarnation: MAX_SAFE })).toMatchObject({
      code: 4002,
    })
    expect(await helloOutcome(a.url, 'y', { token: 'bob', incarnation: MAX_SAFE })).toMatchObject({
      code: 4002,
    })
    const y = await start('y', { seeds: [a.url], token: 'bob' })
    await waitFor(() => isUp(a, 'y', 'a'), { what: 'the real y joins' })
    expect(await y.ask('echo@x', 'hello x')).toEqual({ ok: true, value: 'hello x' })
    expect(await x.ask('echo@y', 'hello y')).toEqual({ ok: true, value: 'hello y' })
  }, 30_000)

  it("is refused with 4409 for a hub's id once the hub is dead; the hub's tab moves to a hub still up", async () => {
    await b.kill()
    await waitFor(async () => (await a.members()).some((m) => m.id === 'b' && m.status === 'down'), {
      what: 'a sees b down',
    })
    expect(await helloOutcome(a.url, 'b', { token: 'mallory' })).toMatchObject({ code: 4409 })
    expect(await helloOutcome(a.url, 'b')).toMatchObject({ code: 4409 })
    await waitFor(() => isUp(a, 'x', 'a'), { what: 'x reconnects through a', timeoutMs: 10_000 })
    expect(await a.ask('echo@x', 'moved?')).toEqual({ ok: true, value: 'moved?' })
  }, 30_000)
})

describe('without authenticate', () => {
  let c: StartedNodeWorker
  let d: StartedNodeWorker
  let v: StartedNodeWorker
  beforeAll(async () => {
    c = await start('c', { ...LISTEN, hubSecret: HUB_SECRET })
    d = await start('d', { ...LISTEN, hubSecret: HUB_SECRET, seeds: [c.url] })
    v = await start('v', { seeds: [d.url] })
    await waitFor(() => isUp(c, 'v', 'd'), { what: 'hub c hears of tab v behind hub d' })
  }, 30_000)

  it('a live tab’s id with another incarnation is refused with 4409 at another hub', async () => {
    expect(await helloOutcome(c.url, 'v', { incarnation: v.incarnation + 1 })).toMatchObject({ code: 4409 })
    expect(await helloOutcome(c.url, 'v', { incarnation: v.incarnation - 1 })).toMatchObject({ code: 4409 })
    expect(await v.ask('echo@c', 'fine?')).toEqual({ ok: true, value: 'fine?' })
  }, 20_000)

  it('an impostor with the tab’s id and incarnation that acks what was never sent is closed with 4002; the tab comes back by itself', async () => {
    // the hub has sent the tab three answers: positions 1 to 3 of its stream to the tab
    for (let i = 0; i < 3; i++) expect((await v.ask('echo@d', i)).ok).toBe(true)
    const recoveries: number[] = []
    for (const seq of [4, MAX_SAFE]) {
      const impostor = openRawPeer(d.url, hubCodec)
      cleanups.push(() => impostor.terminate())
      await impostor.opened
      const ack: AckEnvelope = {
        type: 'ack',
        from: 'v',
        fromIncarnation: v.incarnation,
        dest: 'd',
        destIncarnation: d.incarnation,
        seq,
        gap: false,
      }
      // the ack right behind the hello: the hub reads it as soon as the impostor's link is up (it took the tab's)
      impostor.send(hubCodec.encode([hello('v', { incarnation: v.incarnation })]))
      impostor.send(hubCodec.encode([ack]))
      expect(await impostor.closed).toMatchObject({
        code: 4002,
        reason: expect.stringMatching(/beyond what was sent/),
      })
      // the tab is back by itself, at this hub or the other one
      recoveries.push(await worksAgain(v, 'd'))
      await waitFor(async () => (await isUp(d, 'v', 'd')) || isUp(d, 'v', 'c'), {
        what: async () => `d sees v up again (${JSON.stringify(await d.members())})`,
      })
      expect(await d.ask('echo@v', `after an ack for ${seq}`)).toEqual({
        ok: true,
        value: `after an ack for ${seq}`,
      })
      // and keeps working once the connection it lost has been silent past downAfterMs
      await sleep(2_500)
      expect(await v.ask('echo@d', 'still there?')).toEqual({ ok: true, value: 'still there?' })
      expect(await d.ask('echo@v', 'and you?')).toEqual({ ok: true, value: 'and you?' })
    }
    // what the tab sends still arrives, in order
    expect(await v.sendNumbered('log@d', 0, 50)).toBe(50)
    await waitFor(async () => (await d.numbersFrom('v')).length >= 50, { what: 'd gets what v sent' })
    expect(await d.numbersFrom('v')).toEqual(Array.from({ length: 50 }, (_, i) => i))
    console.log(
      `an impostor with the tab's id and incarnation, acking positions 4 and 2^53-1 of a stream of 3: closed 4002 each time; the tab asked successfully again ${recoveries.map((ms) => `${ms} ms`).join(' and ')} later`,
    )
  }, 40_000)
})

describe('tabs that come and go, each with a new id', () => {
  it('leave nothing behind on their hub once they have left', async () => {
    const hub = await start('churn', LISTEN, { quiet: true })
    const before = await hub.internals()
    const TABS = 300
    const CONCURRENT = 20
    const visit = async (i: number) => {
      const tab = await joinRaw(hub.url, `visitor-${i}`)
      // an ask, answered, and the answer acknowledged: nothing is left pending either way
      tab.send([messageFrom(tab, 'echo@churn', encodeValue(i), { askId: 1 })])
      const answer = await tab.peer.waitForEnvelope((e) => e.type === 'reply', 5_000)
      if (answer?.type !== 'reply') throw new Error(`visitor-${i} got no answer`)
      tab.send([
        {
          type: 'ack',
          from: tab.hello.from,
          fromIncarnation: tab.hello.incarnation,
          dest: 'churn',
          destIncarnation: answer.originIncarnation,
          seq: answer.seq,
          gap: false,
        },
        { type: 'bye', reason: 'page closed' },
      ])
      tab.peer.close()
      await tab.peer.closed
    }
    for (let i = 0; i < TABS; i += CONCURRENT) {
      await Promise.all(Array.from({ length: CONCURRENT }, (_, j) => visit(i + j)))
    }
    // a tab that said goodbye is forgotten at the next look
    await waitFor(async () => (await hub.internals()).members <= before.members, {
      what: async () => `the hub forgets the visitors (${(await hub.internals()).members} members)`,
    })
    const after = await hub.internals()
    console.log(
      `${TABS} tabs came, asked, acknowledged and left: the hub keeps ${after.members} members (${before.members} before), ${after.inStreams} inbound streams (${before.inStreams}), ${after.outStreams} outbound streams (${before.outStreams})`,
    )
    expect(after.inStreams).toBeLessThanOrEqual(before.inStreams)
    expect(after.outStreams).toBeLessThanOrEqual(before.outStreams)
  }, 40_000)
})
