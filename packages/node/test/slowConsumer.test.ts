/**
 * A peer that completes its handshake and then stops reading its socket (but
 * keeps sending heartbeats), while the hub keeps sending to an actor on it:
 * the hub's queue for that node stops at its bound, the rest is reported as
 * `queue-full` dead letters, the hub's memory stays flat (no echo piles up in
 * a socket nobody reads), and its other links keep working.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { decodeValue, type Envelope } from '@troupe/core/internal'
import { createNode } from '@troupe/node'
import { type NodeWorker, sleep, startNodeWorker, waitFor } from '@troupe/test-support'
import { afterEach, describe, expect, it } from 'vitest'
import { codecLike, hello, openRawPeer } from './support/rawPeer.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** The hub's per-link bounds, small so that a slow peer hits them quickly. */
const LINK = {
  maxMessages: 2_000,
  maxBytes: 1024 * 1024,
  highWaterMessages: 1_000,
  highWaterBytes: 512 * 1024,
  windowMessages: 256,
}
/** Messages the hub sends to the slow peer: 50 times its queue bound, about 100 MB of payload. */
const SENDS = 100_000
const PAYLOAD = 'x'.repeat(1_000)
const MEMORY_BOUND_BYTES = 30 * 1024 * 1024

const range = (n: number) => Array.from({ length: n }, (_, i) => i)
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`

function heapUsed(): number {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

describe('a peer that stops reading', () => {
  it('costs the hub its link bound, then queue-full dead letters; the hub stays flat and its other links keep working', async () => {
    const hub = await createNode({ id: 'hub', listen: { host: '127.0.0.1', port: 0 }, link: LINK })
    cleanups.push(() => hub.close())
    const atHub: number[] = []
    hub.spawn('log', { receive: (msg: { seq: number }) => void atHub.push(msg.seq) })
    const deadLetters: Record<string, number> = {}
    let queueFullForSlow = 0
    hub.on('deadletter', (d) => {
      deadLetters[d.reason] = (deadLetters[d.reason] ?? 0) + 1
      if (d.to === 'sink@slow' && d.reason === 'queue-full') queueFullForSlow++
    })

    // a well-behaved client in its own process, streaming to the hub and receiving from it
    const good: NodeWorker = await startNodeWorker('good', { seeds: [hub.url] })
    cleanups.push(() => good.kill())
    await waitFor(() => hub.members().some((m) => m.id === 'good' && m.status === 'up'), {
      what: 'good joins',
    })

    // the slow peer: a raw client that completes the handshake, then stops reading its socket. It keeps
    // sending heartbeats, so the hub sees a live peer that simply does not read (and never acknowledges)
    const codec = codecLike(1024 * 1024)
    const slow = openRawPeer(hub.url!, codec)
    cleanups.push(() => slow.terminate())
    await slow.opened
    const greeting = hello('slow')
    slow.send(codec.encode([greeting]))
    expect(await slow.waitForEnvelope((e) => e.type === 'welcome', 5_000)).toBeDefined()
    slow.pauseReading()
    const heartbeat = setInterval(
      () =>
        slow.send(
          codec.encode([{ type: 'heartbeat', sentAt: Date.now(), echo: false, load: [], summary: [] }]),
        ),
      100,
    )
    cleanups.push(() => clearInterval(heartbeat))

    await good.stream({ targets: ['log@hub'], perTick: 10, tickMs: 10, ttlMs: 60_000 })
    let toGood = 0
    let stopToGood = false
    const streamToGood = (async () => {
      while (!stopToGood) {
        for (let i = 0; i < 10; i++)
          if (!hub.send('log@good', { from: 'hub', seq: toGood++ })) await hub.drain('good')
        await sleep(10)
      }
    })()

    const heapBefore = heapUsed()
    let refusedBySend = 0
    for (let seq = 0; seq < SENDS; seq++) {
      // a producer that ignores backpressure: only the hard bound stands between it and the hub's memory
      if (!hub.send('sink@slow', { seq, payload: PAYLOAD })) refusedBySend++
      if (seq % 1_000 === 999) await new Promise((resolve) => setImmediate(resolve))
    }
    // the other links work while the slow one is saturated: an ask goes there and back
    expect(await hub.ask('echo@good', 'still there?', { timeoutMs: 5_000 })).toBe('still there?')
    // the memory is measured once timers have run: a retransmit timer re-sent what the slow node had not
    // acknowledged, and the good client kept acknowledging meanwhile
    const resentBefore = hub.metrics().resent
    await waitFor(() => hub.metrics().resent >= resentBefore + LINK.windowMessages, {
      what: 'a retransmit to the slow node',
    })
    await waitFor(() => (hub.metrics().streams.good?.queued ?? 0) < 100, { what: 'good acknowledges' })
    const heapAfter = heapUsed()
    const toSlow = hub.metrics().streams.slow!
    const slowLink = hub.metrics().peers.slow!

    // every send was either queued for the slow node or refused as queue-full: nothing else, nothing silent
    expect(slowLink.connected).toBe(true)
    expect(slowLink.queuedBytes).toBeLessThanOrEqual(1024 * 1024)
    expect(toSlow.queued).toBeLessThanOrEqual(LINK.maxMessages)
    expect(toSlow.queuedBytes).toBeLessThanOrEqual(LINK.maxBytes)
    expect(queueFullForSlow).toBeGreaterThan(0)
    expect(toSlow.queued + queueFullForSlow).toBe(SENDS)
    expect(refusedBySend).toBeGreaterThanOrEqual(queueFullForSlow)
    expect(heapAfter - heapBefore).toBeLessThan(MEMORY_BOUND_BYTES)

    // the good client's traffic both ways: complete and in order
    stopToGood = true
    await streamToGood
    const fromGood = (await good.streamStop())['log@hub']!
    const receivedAtGood = () => good.numbersFrom('hub')
    await waitFor(async () => atHub.length >= fromGood && (await receivedAtGood()).length >= toGood, {
      timeoutMs: 20_000,
      what: 'good traffic',
    })
    expect(atHub).toEqual(range(fromGood))
    expect(await receivedAtGood()).toEqual(range(toGood))
    expect(good.events.filter((e) => e.event === 'deadletter')).toEqual([])

    // the slow peer reads again and acknowledges: it gets exactly what was queued (the first sends), in order
    const queued = toSlow.queued
    const seen: number[] = []
    let highest = 0
    let hubIncarnation = 0
    slow.socket.on('message', (data: Buffer) => {
      let envelopes: Envelope[]
      try {
        envelopes = codec.decode(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
      } catch {
        return
      }
      for (const e of envelopes) {
        // the receiving end of a stream: in order, duplicates (re-sent after the retransmit timeout) dropped
        if (e.type !== 'message' || e.origin !== 'hub' || e.seq !== highest + 1) continue
        highest = e.seq
        hubIncarnation = e.originIncarnation
        seen.push((decodeValue(e.body) as { seq: number }).seq)
      }
      if (highest === 0) return
      const ack = {
        from: 'slow',
        fromIncarnation: greeting.incarnation,
        dest: 'hub',
        destIncarnation: hubIncarnation,
      }
      slow.send(codec.encode([{ type: 'ack', ...ack, seq: highest, gap: false }]))
    })
    slow.resumeReading()
    await waitFor(() => hub.metrics().streams.slow === undefined, {
      timeoutMs: 20_000,
      what: 'what waits for the slow node drains',
    })
    expect(seen).toEqual(range(queued))

    console.log(
      [
        `slow consumer: ${SENDS} sends of ~1 KB to it; bound per node ${LINK.maxMessages} messages / ${mb(LINK.maxBytes)}`,
        `  queued for it: ${queued} (${mb(toSlow.queuedBytes)}), in flight ${toSlow.inFlight} (window ${LINK.windowMessages}), in its link's queue ${mb(slowLink.queuedBytes)}; re-sent ${hub.metrics().resent}`,
        `  queue-full dead letters for it: ${queueFullForSlow}; send() returned false ${refusedBySend} times; hub dead letters ${JSON.stringify(deadLetters)}`,
        `  hub heap after GC: ${mb(heapBefore)} before, ${mb(heapAfter)} with the link saturated (${heapAfter >= heapBefore ? '+' : ''}${mb(heapAfter - heapBefore)}); rss ${mb(process.memoryUsage().rss)}`,
        `  meanwhile the good client: ${fromGood} messages to the hub, ${toGood} from it, complete and in order; an ask answered`,
        `  once it reads again: it got the ${seen.length} queued messages in order and the link drained`,
      ].join('\n'),
    )
  }, 60_000)
})
