/**
 * Hostile tabs that stop reading their socket and keep sending (over real
 * sockets, to a hub in its own process): heartbeats (one echo owed at a time,
 * none written to a full socket, closed with 4429 after `link.maxStallMs`),
 * and messages whose answers come back to them — dead-letter reports with the
 * message's body (data: bounded by `link.maxClientBytes` per client), refusal
 * and route notices. Each case gets a fresh hub, so that what one case leaves
 * in the hub's memory does not blur the next one's figures; memory is
 * measured after GC and compared with the documented bound per link.
 */
import { DEFAULTS } from '@troupe/core/internal'
import {
  type StartedNodeWorker,
  sleep,
  startNodeWorker,
  type WorkerMemory,
  waitFor,
} from '@troupe/test-support'
import { afterEach, describe, expect, it } from 'vitest'
import {
  bodyOfSize,
  codec,
  floodSocket,
  heartbeatEnvelope,
  joinRaw,
  type Latency,
  LISTEN,
  latencyLine,
  latencyUnder,
  MB,
  mb,
  memoryLine,
  messageFrom,
  type RawClient,
  signedMb,
} from './support.js'

interface PeerFigures {
  connected: boolean
  queuedBytes: number
  framesIn: number
  framesOut: number
  bytesIn: number
  bytesOut: number
  rejected: number
}
interface HubMetrics {
  streams: Record<string, { queued: number; queuedBytes: number }>
  peers: Record<string, PeerFigures>
  deadLetters: Record<string, number>
}

const { maxClientBytes, maxQueuedBytes, maxSocketBufferedBytes, maxBatchBytes } = DEFAULTS.link
/** What one client link may cost its hub: its stream's documented bound, plus the hop's queue, the socket's buffer and a batch. */
const PER_LINK_BOUND = maxClientBytes + maxQueuedBytes + maxSocketBufferedBytes + maxBatchBytes
const STALL_MS = 2_000
const FLOOD_MS = 2_000

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A fresh hub in its own process, and a well-behaved tab on it whose asks are timed. */
async function startHub(options: Record<string, unknown> = {}): Promise<{
  hub: StartedNodeWorker
  tab: StartedNodeWorker
}> {
  const hub = await startNodeWorker('hub', { ...LISTEN, ...options }, { quiet: true })
  cleanups.push(() => hub.kill())
  const tab = await startNodeWorker('tab', { seeds: [hub.url] })
  cleanups.push(() => tab.kill())
  await waitFor(async () => (await hub.members()).some((m) => m.id === 'tab' && m.status === 'up'), {
    what: 'the tab joins the hub',
  })
  return { hub, tab }
}

const heartbeat = () => codec.encode([heartbeatEnvelope(Date.now())])

interface FloodRun {
  clients: RawClient[]
  /** Growth of the hub's array buffers after GC, divided among the clients: after the flood, and after the prefill. */
  perLink: number
  perLinkPrefill: number
  before: WorkerMemory
  prefilled: WorkerMemory
  after: WorkerMemory
  latency: Latency
  metrics: HubMetrics
}

/** A frame of 15 messages of 64 KB for an actor that does not exist: each comes back as a report with its body. */
const toNobody = (client: RawClient) =>
  codec.encode(Array.from({ length: 15 }, () => messageFrom(client, 'nobody@hub', BIG_BODY)))
const BIG_BODY = bodyOfSize(64 * 1024)

/**
 * Sends {@link toNobody} frames from `client` until the hub's socket to it is
 * full (its link starts queueing): from then on, anything the hub writes to
 * it stays in the hub's memory, where the kernel's buffers no longer hide it.
 */
async function fillSocket(hub: StartedNodeWorker, client: RawClient): Promise<void> {
  const id = client.hello.from
  const full = async () => ((await hub.metrics<HubMetrics>()).peers[id]?.queuedBytes ?? 0) > 0
  const deadline = Date.now() + 15_000
  while (!(await full())) {
    if (Date.now() > deadline) throw new Error(`the hub's socket to ${id} did not fill`)
    client.peer.send(toNobody(client))
    await sleep(20)
  }
}

/** How a non-reading flood runs. */
interface FloodPlan {
  /** How many clients flood at once. */
  clients: number
  /** Each first fills the hub's socket to it ({@link fillSocket}). */
  prefill: boolean
  /** Frames each client sends; without it, each sends for {@link FLOOD_MS}. */
  frames?: number
}

/**
 * Clients join and stop reading (see {@link FloodPlan}), then send `frame`s;
 * once the hub has read all of it (or closed them), its memory is measured
 * after GC, with the clients not yet gone.
 */
async function nonReadingFlood(
  name: string,
  frame: (client: RawClient) => Uint8Array,
  plan: FloodPlan,
): Promise<FloodRun> {
  const { hub, tab } = await startHub()
  const before = await hub.memory()
  const clients: RawClient[] = []
  for (let i = 0; i < plan.clients; i++) clients.push(await joinRaw(hub.url, `${name}-${i}`))
  // they read nothing (no pong either) but say they are alive (see joinRaw), as a hostile tab would
  cleanups.push(async () => {
    for (const client of clients) client.peer.terminate()
  })
  for (const client of clients) client.peer.pauseReading()
  if (plan.prefill) for (const client of clients) await fillSocket(hub, client)
  const prefilled = plan.prefill ? await hub.memory() : before
  const sentBytes = await Promise.all(
    clients.map(async (client) => (await hub.metrics<HubMetrics>()).peers[client.hello.from]!.bytesIn),
  )
  const { latency } = await latencyUnder(tab, hub, async () => {
    const end = Date.now() + FLOOD_MS
    await Promise.all(
      clients.map((client, i) =>
        floodSocket(
          client.peer.socket,
          () => {
            const bytes = frame(client)
            sentBytes[i]! += bytes.byteLength
            return bytes
          },
          (sent) => (plan.frames === undefined ? Date.now() >= end : sent >= plan.frames),
        ),
      ),
    )
  })
  // they cannot be asked whether the hub has read everything (they read nothing): its counters tell,
  // unless it closed their links (then it reads no more)
  await waitFor(
    async () => {
      const { peers } = await hub.metrics<HubMetrics>()
      return clients.every((c, i) => {
        const link = peers[c.hello.from]
        return link !== undefined && (!link.connected || link.bytesIn >= sentBytes[i]!)
      })
    },
    {
      timeoutMs: 30_000,
      what: async () => {
        const { peers } = await hub.metrics<HubMetrics>()
        const read = clients.map((c, i) => `${peers[c.hello.from]?.bytesIn} of ${sentBytes[i]}`)
        return `the hub reads what the clients sent (${read.join(', ')})`
      },
    },
  )
  const after = await hub.memory()
  const metrics = await hub.metrics<HubMetrics>()
  return {
    clients,
    perLink: (after.arrayBuffers - prefilled.arrayBuffers) / plan.clients,
    perLinkPrefill: (prefilled.arrayBuffers - before.arrayBuffers) / plan.clients,
    before,
    prefilled,
    after,
    latency,
    metrics,
  }
}

function floodLines(title: string, run: FloodRun, row: (id: string, link: PeerFigures) => string): string {
  const prefill =
    run.prefilled === run.before
      ? []
      : [
          `  first each filled the hub's socket to it with dead-letter reports: hub ${memoryLine(run.prefilled)} after GC, ${mb(run.perLinkPrefill)} per link`,
        ]
  return [
    title,
    ...run.clients.map((c) => `  ${row(c.hello.from, run.metrics.peers[c.hello.from]!)}`),
    `  hub before ${memoryLine(run.before)}`,
    ...prefill,
    `  after the flood, after GC: ${memoryLine(run.after)}: ${mb(run.perLink)} per link for the flood; documented maxClientBytes ${mb(maxClientBytes)} (${mb(PER_LINK_BOUND)} with the hop's queue and socket buffer)`,
    `  ${latencyLine(run.latency)}`,
  ].join('\n')
}

describe('a client that reads nothing', () => {
  it('and sends heartbeats fast costs one echo at a time, none written to its full socket; it is closed with 4429', async () => {
    const { hub } = await startHub({ link: { maxStallMs: STALL_MS } })
    const client = await joinRaw(hub.url, 'stalled')
    cleanups.push(async () => client.peer.terminate())
    client.peer.pauseReading()
    const before = await hub.memory()
    await hub.startMemorySampler()
    // heartbeats only: each one owes an echo, and only one is owed at a time
    const start = Date.now()
    const beats = await floodSocket(client.peer.socket, heartbeat, () => Date.now() - start >= 2_500)
    const quiet = (await hub.metrics<HubMetrics>()).peers.stalled!
    const quietPeak = await hub.stopMemorySampler()

    // now the hub has data for it and its socket fills; the heartbeats go on as fast
    await fillSocket(hub, client)
    const full = (await hub.metrics<HubMetrics>()).peers.stalled!
    const atFull = await hub.memory(false)
    await hub.startMemorySampler()
    const filled = Date.now()
    let beatsWhileFull = 0
    let hubClosedIt = false
    const watch = waitFor(async () => !(await hub.metrics<HubMetrics>()).peers.stalled!.connected, {
      timeoutMs: 10 * STALL_MS,
      intervalMs: 20,
      what: 'the hub closes the link',
    }).then(() => {
      hubClosedIt = true
    })
    await floodSocket(
      client.peer.socket,
      () => {
        beatsWhileFull++
        return heartbeat()
      },
      () => hubClosedIt || Date.now() - filled >= 10 * STALL_MS,
    )
    await watch
    const closedAfter = Date.now() - filled
    const peak = await hub.stopMemorySampler()
    const closedLink = (await hub.metrics<HubMetrics>()).peers.stalled!
    // the close frame waits behind what the hub had written: reading again, the client gets to it
    client.peer.resumeReading()
    const closed = await client.peer.closed
    const after = await hub.memory()
    const framesWhileFull = closedLink.framesOut - full.framesOut
    // what the heartbeats cost while its socket was full: an echo written for each would show here
    const fullGrowth = peak.rss - atFull.rss
    console.log(
      [
        `a client that reads nothing and sends heartbeats (maxStallMs ${STALL_MS} ms):`,
        `  heartbeats only: ${beats} frames in 2.5 s; the hub wrote ${quiet.framesOut} frames (${mb(quiet.bytesOut)}) to it and kept it (the kernel's buffers took it all)`,
        `  once its socket was full: ${beatsWhileFull} heartbeats, ${framesWhileFull} frames written; closed ${closedAfter} ms later (${closed.code} "${closed.reason}")`,
        `  hub before ${memoryLine(before)}; peak with heartbeats only ${memoryLine(quietPeak)} (rss ${signedMb(quietPeak.rss - before.rss)})`,
        `  socket full ${memoryLine(atFull)}; peak until closed ${memoryLine(peak)} (rss ${signedMb(fullGrowth)}); after GC ${memoryLine(after)} (the reports for it wait for their TTL, in case it comes back)`,
      ].join('\n'),
    )
    expect(quiet.connected).toBe(true)
    expect(quiet.framesIn).toBeGreaterThan(10_000)
    expect(quiet.framesOut).toBeLessThan(quiet.framesIn / 2)
    expect(beatsWhileFull).toBeGreaterThan(1_000)
    expect(framesWhileFull).toBeLessThan(10)
    expect(closed.code).toBe(4429)
    expect(quietPeak.rss - before.rss).toBeLessThan(30 * MB)
    expect(fullGrowth).toBeLessThan(10 * MB)
  }, 40_000)

  it('and sends messages to nobody costs its hub at most its bound: the dead-letter reports wait for it, bounded', async () => {
    const run = await nonReadingFlood('hoarder', toNobody, { clients: 3, prefill: false })
    console.log(
      floodLines(
        `3 clients that read nothing send messages to nobody (reports come back with the 64 KB bodies) for ${FLOOD_MS} ms:`,
        run,
        (id, link) => {
          const stream = run.metrics.streams[id]
          return `${id}: sent ${mb(link.bytesIn)}; waiting for it: ${stream?.queued ?? 0} reports, ${mb(stream?.queuedBytes ?? 0)} counted (bound ${mb(maxClientBytes)}), hop queue ${mb(link.queuedBytes)} (bound ${mb(maxQueuedBytes)})`
        },
      ),
    )
    expect(run.metrics.deadLetters['no-such-actor']).toBeGreaterThan(0)
    for (const client of run.clients) {
      const id = client.hello.from
      expect(run.metrics.peers[id]!.connected).toBe(true)
      expect(run.metrics.streams[id]?.queuedBytes ?? 0).toBeLessThanOrEqual(maxClientBytes)
      expect(run.metrics.peers[id]!.queuedBytes).toBeLessThanOrEqual(maxQueuedBytes)
    }
    expect(run.perLink).toBeLessThanOrEqual(PER_LINK_BOUND)
  }, 60_000)

  // one client, whose socket is full first: from then on every notice the hub writes stays in its memory
  it('and sends messages the hub refuses: refusal notices do not pile up in its full socket', async () => {
    // 300 000 tiny messages, each claiming another node's actor as its sender: each is refused, and a
    // refusal notice goes back to a client that reads nothing
    const tiny = bodyOfSize(1)
    const FRAMES = 60
    const run = await nonReadingFlood(
      'liar',
      (client) =>
        codec.encode(
          Array.from({ length: 5_000 }, () => messageFrom(client, 'sink@hub', tiny, { from: 'admin@hub' })),
        ),
      { clients: 1, prefill: true, frames: FRAMES },
    )
    console.log(
      floodLines(
        `a client that reads nothing sends ${FRAMES * 5_000} messages the hub refuses (spoofed sender):`,
        run,
        (id, link) =>
          `${id}: sent ${mb(link.bytesIn)}, ${link.rejected} refused; the hub wrote ${mb(link.bytesOut)} to it; ${link.connected ? 'still connected' : 'closed by the hub'}`,
      ),
    )
    const liar = run.metrics.peers['liar-0']!
    // each refused (and counted), or the link closed for it
    if (liar.connected) expect(liar.rejected).toBe(FRAMES * 5_000)
    else expect(liar.rejected).toBeGreaterThan(0)
    // what the flood adds to the hub's memory is what it keeps for a client that reads nothing
    expect(run.perLink).toBeLessThanOrEqual(maxQueuedBytes)
  }, 60_000)

  it('and sends messages for unknown nodes: route notices do not pile up in its full socket', async () => {
    // 600 000 tiny messages, each for a node nobody knows (long ids): a notice goes back for each
    const tiny = bodyOfSize(1)
    const FRAMES = 120
    let ghost = 0
    const run = await nonReadingFlood(
      'lost',
      (client) =>
        codec.encode(
          Array.from({ length: 5_000 }, () =>
            messageFrom(client, `board@ghost-${String(ghost++).padStart(40, '0')}`, tiny),
          ),
        ),
      { clients: 1, prefill: true, frames: FRAMES },
    )
    console.log(
      floodLines(
        `a client that reads nothing sends messages for ${ghost} unknown nodes:`,
        run,
        (id, link) =>
          `${id}: sent ${mb(link.bytesIn)}; the hub wrote ${mb(link.bytesOut)} to it; ${link.connected ? 'still connected' : 'closed by the hub'}`,
      ),
    )
    expect(run.perLink).toBeLessThanOrEqual(maxQueuedBytes)
  }, 60_000)

  it('and then comes back on a new connection gets what waited for it, and what the hub sends next', async () => {
    const { hub } = await startHub()
    const first = await joinRaw(hub.url, 'sleepy')
    cleanups.push(async () => first.peer.terminate())
    first.peer.pauseReading()
    // enough dead-letter reports that the hub's queue for it refuses more: its stream waits for room
    await fillSocket(hub, first)
    await waitFor(async () => (await hub.internals()).blockedLinks.includes('sleepy'), {
      timeoutMs: 15_000,
      what: "the hub's link to it refuses data",
    })
    const waiting = (await hub.metrics<HubMetrics>()).streams.sleepy!.queued
    first.peer.terminate()

    // the same tab, reloaded: it reads and acknowledges everything
    const second = await joinRaw(hub.url, 'sleepy', { incarnation: first.hello.incarnation + 1 })
    cleanups.push(async () => second.peer.terminate())
    const positions = new Set<number>()
    second.peer.socket.on('message', (data: Buffer) => {
      for (const e of codec.decode(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))) {
        if (e.type !== 'message' && e.type !== 'dead' && e.type !== 'reply' && e.type !== 'skip') continue
        positions.add(e.seq)
        const { from, incarnation: fromIncarnation } = second.hello
        second.send([
          {
            type: 'ack',
            from,
            fromIncarnation,
            dest: 'hub',
            destIncarnation: e.originIncarnation,
            seq: e.seq,
            gap: false,
          },
        ])
      }
    })
    // queued whatever send() says: false only asks the sender to slow down (what waits is over half its bound)
    await hub.sendNumbered('log@sleepy', 0, 3)
    const arrived = await second.peer.waitForEnvelope(
      (e) => e.type === 'message' && e.origin === 'hub',
      10_000,
    )
    console.log(
      `a client whose link refused data, back on a new connection: ${waiting} reports were waiting; it got ${positions.size} envelopes from the hub, the hub's new messages ${arrived === undefined ? 'never' : 'too'}`,
    )
    expect(arrived).toBeDefined()
    await waitFor(async () => (await hub.metrics<HubMetrics>()).streams.sleepy === undefined, {
      what: 'everything for it is acknowledged',
    })
  }, 40_000)
})
