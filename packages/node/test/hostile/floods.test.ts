/**
 * Hostile tabs that flood a hub (in its own process) over real sockets:
 * messages for nodes that do not exist (a relay keeps nothing: it answers
 * `unreachable`), and messages for an actor whose mailbox is full (the hub
 * keeps a bounded backlog and leaves the rest to their sender). The hub's
 * memory is measured after GC, and a well-behaved tab's ask latency is
 * printed idle and under each flood.
 */
import { DEFAULTS } from '@troupe/core/internal'
import { type StartedNodeWorker, sleep, startNodeWorker, waitFor } from '@troupe/test-support'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  bodyOfSize,
  codec,
  floodSocket,
  growth,
  growthLine,
  hubHasRead,
  joinRaw,
  LISTEN,
  latencyLine,
  latencyUnder,
  MB,
  mb,
  memoryLine,
  messageFrom,
} from './support.js'

interface HubMetrics {
  held: number
  heldBytes: number
  relayed: number
  deadLetters: Record<string, number>
  streams: Record<string, unknown>
  peers: Record<string, { connected: boolean; rejected: number; framesIn: number; bytesIn: number }>
}

let hub: StartedNodeWorker
let tab: StartedNodeWorker

beforeAll(async () => {
  hub = await startNodeWorker('hub', LISTEN, { quiet: true })
  tab = await startNodeWorker('tab', { seeds: [hub.url] })
  await waitFor(async () => (await hub.members()).some((m) => m.id === 'tab' && m.status === 'up'), {
    what: 'the tab joins the hub',
  })
}, 30_000)

afterAll(async () => {
  await tab?.kill()
  await hub?.kill()
})

describe('messages for nodes that do not exist', () => {
  it('are relayed nowhere and kept nowhere: the hub stays flat and its own sends still go out', async () => {
    const hoarder = await joinRaw(hub.url, 'hoarder')
    const before = await hub.memory()
    const relayedBefore = (await hub.metrics<HubMetrics>()).relayed

    // 300 messages of ~900 KB, one per frame (under the hub's 1 MB frame limit: a raw client skips the
    // sender's own 256 KB check), each for a node nobody knows
    const BIG = 300
    const big = bodyOfSize(900_000)
    // the hub has read them all once it answers an ask sent after them
    const readAll = (askId: number) => hubHasRead(hoarder, 'hub', askId)
    const { latency: bigLatency } = await latencyUnder(tab, hub, async () => {
      await floodSocket(
        hoarder.peer.socket,
        (i) => codec.encode([messageFrom(hoarder, `board@ghost-${i}`, big)]),
        (sent) => sent >= BIG,
      )
      await readAll(1)
    })
    const bigPeak = bigLatency.hub
    const afterBig = await hub.memory()
    const metrics = await hub.metrics<HubMetrics>()
    expect(metrics.peers.hoarder?.framesIn).toBeGreaterThanOrEqual(BIG + 1)
    expect(metrics.held).toBe(0)
    expect(metrics.heldBytes).toBe(0)
    expect(metrics.relayed).toBe(relayedBefore)
    expect(Object.keys(metrics.streams).filter((node) => node.startsWith('ghost-'))).toEqual([])
    // the hoarder hears why: the ghosts are unknown
    const notice = await hoarder.peer.waitForEnvelope((e) => e.type === 'unreachable', 5_000)
    expect(notice).toMatchObject({ type: 'unreachable', dest: 'hoarder', reason: 'unknown' })
    const bigGrowth = growth(before, afterBig)
    expect(bigGrowth.rss).toBeLessThan(60 * MB)
    expect(bigGrowth.arrayBuffers).toBeLessThan(60 * MB)

    // 100k tiny ones, each for another node, 1000 to a frame
    const TINY = 100_000
    const PER_FRAME = 1_000
    const tiny = bodyOfSize(8)
    const { latency: tinyLatency } = await latencyUnder(tab, hub, async () => {
      await floodSocket(
        hoarder.peer.socket,
        (f) =>
          codec.encode(
            Array.from({ length: PER_FRAME }, (_, i) =>
              messageFrom(hoarder, `board@ghost-${f * PER_FRAME + i}`, tiny),
            ),
          ),
        (sent) => sent >= TINY / PER_FRAME,
      )
      await readAll(2)
    })

    // the hub's own sends are not held back by what it relayed (or did not): all accepted, all delivered
    const OWN = 1_000
    expect(await hub.sendNumbered('log@tab', 0, OWN)).toBe(OWN)
    await waitFor(async () => (await tab.numbersFrom('hub')).length >= OWN, {
      what: "the hub's sends arrive",
    })
    expect(await tab.numbersFrom('hub')).toEqual(Array.from({ length: OWN }, (_, i) => i))
    const metricsAfterTiny = await hub.metrics<HubMetrics>()
    expect(metricsAfterTiny.deadLetters['queue-full']).toBe(0)
    expect(metricsAfterTiny.held).toBe(0)
    const memoryAfterTiny = await hub.memory()
    // the hub remembers for a second whom it told of each unknown node (so as not to tell twice in 100 ms)
    await sleep(1_500)
    const settled = await hub.memory()
    const tinyGrowth = growth(before, settled)
    expect(tinyGrowth.arrayBuffers).toBeLessThan(60 * MB)
    expect(tinyGrowth.heapUsed).toBeLessThan(20 * MB)
    hoarder.peer.close()

    console.log(
      [
        `messages for unknown nodes (relays keep nothing): hub before ${memoryLine(before)}`,
        `  ${BIG} × 900 KB: peak during ${memoryLine(bigPeak)}; after GC ${growthLine(before, afterBig)}; held ${metrics.held}`,
        `    ${latencyLine(bigLatency)}`,
        `  ${TINY} tiny to ${TINY} unknown nodes: after GC ${growthLine(before, memoryAfterTiny)}, a second later ${growthLine(before, settled)}; then ${OWN} sends of the hub's own: all accepted and delivered, queue-full ${metricsAfterTiny.deadLetters['queue-full']}`,
        `    ${latencyLine(tinyLatency)}`,
      ].join('\n'),
    )
  }, 60_000)
})

describe('messages for an actor whose mailbox is full', () => {
  it('wait in a backlog bounded per origin and in all; the rest is left to the senders', async () => {
    const { maxBacklogMessages, maxBacklogBytes } = DEFAULTS.link
    await hub.request({ cmd: 'spawnSink', name: 'sink', capacity: 10, delayMs: 50 })
    // two floods of 16 KB messages: 1 024 of them from one origin are the whole byte bound
    const body = bodyOfSize(16 * 1024)
    const flooders = [await joinRaw(hub.url, 'flooder-1'), await joinRaw(hub.url, 'flooder-2')]
    const before = await hub.memory()
    let worst = { perOrigin: 0, bytes: 0 }
    let watching = true
    const watch = (async () => {
      while (watching) {
        const { backlogs, backlogBytes } = await hub.internals()
        worst = {
          perOrigin: Math.max(worst.perOrigin, ...Object.values(backlogs)),
          bytes: Math.max(worst.bytes, backlogBytes),
        }
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    })()
    const FLOOD_MS = 3_000
    const { latency, result: sent } = await latencyUnder(tab, hub, async () => {
      const end = Date.now() + FLOOD_MS
      return Promise.all(
        flooders.map((flooder) =>
          floodSocket(
            flooder.peer.socket,
            () => codec.encode(Array.from({ length: 32 }, () => messageFrom(flooder, 'sink@hub', body))),
            () => Date.now() >= end,
          ),
        ),
      )
    })
    const peak = latency.hub
    watching = false
    await watch
    const during = await hub.memory()
    const metrics = await hub.metrics<HubMetrics>()
    const handled = (await hub.request<{ count: number }>({ cmd: 'sinkCount', name: 'sink' })).count

    expect(worst.perOrigin).toBeGreaterThan(0) // the backlog was used: the bound below is not vacuous
    expect(worst.perOrigin).toBeLessThanOrEqual(maxBacklogMessages)
    expect(worst.bytes).toBeLessThanOrEqual(maxBacklogBytes)
    const flood = growth(before, during)
    expect(flood.arrayBuffers).toBeLessThan(maxBacklogBytes + 24 * MB)
    expect(flood.rss).toBeLessThan(maxBacklogBytes + 60 * MB)
    const open = flooders.map((f) => !f.peer.isClosed)
    for (const flooder of flooders) flooder.peer.close()

    console.log(
      [
        `backlog for a full mailbox (capacity 10, 50 ms a message): 2 clients sent ${sent.map((n) => n * 32).join(' and ')} messages of 16 KB in ${FLOOD_MS} ms; the sink handled ${handled}`,
        `  worst backlog: ${worst.perOrigin} messages from one origin (bound ${maxBacklogMessages}), ${mb(worst.bytes)} in all (bound ${mb(maxBacklogBytes)})`,
        `  hub before ${memoryLine(before)}; peak ${memoryLine(peak)}; after GC with the backlogs full: ${growthLine(before, during)}`,
        `  connections still open: ${open.join(', ')}; queue-full dead letters ${metrics.deadLetters['queue-full']}`,
        `  ${latencyLine(latency)}`,
      ].join('\n'),
    )
  }, 60_000)
})
