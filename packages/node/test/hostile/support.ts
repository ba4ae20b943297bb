/**
 * What the hostile-client tests share: a raw client that completes its
 * handshake and numbers its own stream, envelope builders, pacing, and the
 * figures they print.
 */
import type { NodeRole } from '@troupe/core'
import {
  DEFAULTS,
  type Envelope,
  encodeValue,
  type FrameCodec,
  type HeartbeatEnvelope,
  type HelloEnvelope,
  type MessageEnvelope,
  type WelcomeEnvelope,
} from '@troupe/core/internal'
import {
  type MemoryPeaks,
  type ProbeResult,
  type StartedNodeWorker,
  sleep,
  type WorkerMemory,
} from '@troupe/test-support'
import { WebSocket } from 'ws'
import { codecLike, hello, openRawPeer, type RawPeer } from '../support/rawPeer.js'

/** Decodes what hubs send (their frames are at most the default limit). */
export const codec: FrameCodec = codecLike(DEFAULTS.maxFrameBytes)

/** The hub's options every test starts from: its own process, listening on a free port. */
export const LISTEN = { listen: { host: '127.0.0.1', port: 0 } }

/** A heartbeat as a tab sends it (nothing to say of its load or of itself). */
export function heartbeatEnvelope(sentAt: number): HeartbeatEnvelope {
  return { type: 'heartbeat', sentAt, echo: false, load: [], summary: [] }
}

/** How often a raw client says it is alive: well within the hub's silence thresholds (1.5 s, then a ping). */
const KEEP_ALIVE_MS = 500

/** A raw connection that completed its handshake as node `id`, numbering the data envelopes it sends. */
export interface RawClient {
  readonly peer: RawPeer
  readonly hello: HelloEnvelope
  readonly welcome: WelcomeEnvelope
  /** The next position in this client's stream to node `to`: 1, 2, 3... */
  nextSeq(to: string): number
  /** Sends envelopes in one frame. */
  send(envelopes: readonly Envelope[]): void
}

/**
 * Opens a raw connection to `url` as node `id` and waits for the welcome;
 * rejects with the close code if the hub refuses it. Until it closes, it
 * sends a heartbeat every {@link KEEP_ALIVE_MS}.
 */
export async function joinRaw(
  url: string,
  id: string,
  fields: Partial<HelloEnvelope> & { role?: NodeRole } = {},
): Promise<RawClient> {
  const peer = openRawPeer(url, codec)
  await peer.opened
  const greeting = hello(id, fields)
  peer.send(codec.encode([greeting]))
  const welcome = await peer.waitForEnvelope((e) => e.type === 'welcome', 10_000)
  if (welcome === undefined) {
    const { code, reason } = await peer.closed
    throw new Error(`hub refused "${id}": ${code} ${reason}`)
  }
  // alive in the hub's eyes, as a tab is: a heartbeat now and then, even while it floods or reads nothing
  const keepAlive = setInterval(() => peer.send(codec.encode([heartbeatEnvelope(Date.now())])), KEEP_ALIVE_MS)
  void peer.closed.then(() => clearInterval(keepAlive))
  const seqs = new Map<string, number>()
  return {
    peer,
    hello: greeting,
    welcome: welcome as WelcomeEnvelope,
    nextSeq: (to) => {
      const seq = (seqs.get(to) ?? 0) + 1
      seqs.set(to, seq)
      return seq
    },
    send: (envelopes) => peer.send(codec.encode(envelopes)),
  }
}

/**
 * Resolves once the hub has read everything `client` sent so far: it asks
 * the hub's `echo` actor (ask id `askId`) and waits for the answer, which
 * comes after the hub has handled all that came before. Rejects with how
 * the connection ended if it ended first.
 */
export async function hubHasRead(client: RawClient, hubId: string, askId: number): Promise<void> {
  client.send([messageFrom(client, `echo@${hubId}`, encodeValue(askId), { askId })])
  const answer = await client.peer.waitForEnvelope((e) => e.type === 'reply' && e.askId === askId, 30_000)
  if (answer === undefined) {
    const closed = client.peer.isClosed ? JSON.stringify(await client.peer.closed) : 'still open'
    throw new Error(`the hub did not answer ask ${askId} of ${client.hello.from} (connection ${closed})`)
  }
}

/** Says hello as `id` and resolves with how the hub ended the connection (or `welcome` if it let it in). */
export async function helloOutcome(
  url: string,
  id: string,
  fields: Partial<HelloEnvelope> & { role?: NodeRole } = {},
): Promise<{ code: number; reason: string } | 'welcome'> {
  const peer = openRawPeer(url, codec)
  await peer.opened
  peer.send(codec.encode([hello(id, fields)]))
  const welcome = await peer.waitForEnvelope((e) => e.type === 'welcome', 10_000)
  if (welcome !== undefined) {
    peer.close()
    return 'welcome'
  }
  return peer.closed
}

/** A message from `client` (its own origin and incarnation, its next position) to actor `to`. */
export function messageFrom(
  client: RawClient,
  to: string,
  body: Uint8Array,
  fields: Partial<MessageEnvelope> = {},
): MessageEnvelope {
  return {
    type: 'message',
    seq: client.nextSeq(to.slice(to.indexOf('@') + 1)),
    base: 1,
    origin: client.hello.from,
    originIncarnation: client.hello.incarnation,
    to,
    from: undefined,
    askId: 0,
    body,
    trace: undefined,
    ...fields,
  }
}

/** A msgpack-encoded string body of about `bytes` bytes. */
export function bodyOfSize(bytes: number): Uint8Array {
  return encodeValue('x'.repeat(bytes))
}

/**
 * Sends `frame()` repeatedly on `socket` until `until()` says stop, keeping at
 * most `inFlightBytes` in the socket's own buffer: as fast as the hub reads,
 * and never a pile-up in this process. Resolves with the frames sent.
 */
export async function floodSocket(
  socket: WebSocket,
  frame: (i: number) => Uint8Array,
  until: (sent: number) => boolean,
  inFlightBytes = 4 * 1024 * 1024,
): Promise<number> {
  let sent = 0
  while (!until(sent) && socket.readyState === WebSocket.OPEN) {
    if (socket.bufferedAmount > inFlightBytes) {
      await new Promise((resolve) => setTimeout(resolve, 1))
      continue
    }
    socket.send(frame(sent), { binary: true })
    sent++
    if (sent % 16 === 0) await new Promise((resolve) => setImmediate(resolve))
  }
  return sent
}

export const MB = 1024 * 1024
export const mb = (bytes: number): string => `${(bytes / MB).toFixed(1)} MB`
export const signedMb = (bytes: number): string => `${bytes >= 0 ? '+' : ''}${mb(bytes)}`

/** Memory growth from `before` to `after` (after GC both), in bytes. */
export function growth(
  before: Pick<WorkerMemory, 'rss' | 'heapUsed' | 'arrayBuffers'>,
  after: Pick<WorkerMemory, 'rss' | 'heapUsed' | 'arrayBuffers'>,
): { rss: number; heapUsed: number; arrayBuffers: number } {
  return {
    rss: after.rss - before.rss,
    heapUsed: after.heapUsed - before.heapUsed,
    arrayBuffers: after.arrayBuffers - before.arrayBuffers,
  }
}

/** Growth from `before` to `after`: rss, heap and array buffers. */
export function growthLine(
  before: Pick<WorkerMemory, 'rss' | 'heapUsed' | 'arrayBuffers'>,
  after: Pick<WorkerMemory, 'rss' | 'heapUsed' | 'arrayBuffers'>,
): string {
  const { rss, heapUsed, arrayBuffers } = growth(before as WorkerMemory, after)
  return `rss ${signedMb(rss)}, heap ${signedMb(heapUsed)}, arrayBuffers ${signedMb(arrayBuffers)}`
}

/** One line of figures: rss, heap and array buffers. */
export function memoryLine(memory: Pick<WorkerMemory, 'rss' | 'heapUsed' | 'arrayBuffers'>): string {
  return `rss ${mb(memory.rss)}, heap ${mb(memory.heapUsed)}, arrayBuffers ${mb(memory.arrayBuffers)}`
}

/** A tab's ask latencies idle and while a flood ran (printed as a ratio, never asserted). */
export interface Latency {
  idle: ProbeResult
  loaded: ProbeResult
  /** The hub's peak memory and event-loop delays while the flood ran. */
  hub: MemoryPeaks
}

/**
 * Runs `flood` while `tab` asks `echo@<hub>` (one ask at a time), after
 * measuring the same asks idle for a second; samples the hub meanwhile.
 */
export async function latencyUnder<T>(
  tab: StartedNodeWorker,
  hub: StartedNodeWorker,
  flood: () => Promise<T>,
): Promise<{ latency: Latency; result: T }> {
  const to = `echo@${hub.id}`
  await tab.startProbe(to)
  await sleep(1_000)
  const idle = await tab.stopProbe()
  await hub.startMemorySampler()
  await tab.startProbe(to)
  try {
    const result = await flood()
    const loaded = await tab.stopProbe()
    return { latency: { idle, loaded, hub: await hub.stopMemorySampler() }, result }
  } catch (error) {
    await tab.stopProbe()
    await hub.stopMemorySampler()
    throw error
  }
}

/** `p50 idle → p50 under load (×ratio)`, and the hub's event loop meanwhile. */
export function latencyLine({ idle, loaded, hub }: Latency): string {
  const ratio = loaded.p50 / idle.p50
  return `tab's ask p50 ${idle.p50.toFixed(2)} ms idle → ${loaded.p50.toFixed(2)} ms under the flood (×${ratio.toFixed(1)}), p95 ${idle.p95.toFixed(2)} → ${loaded.p95.toFixed(2)} ms, max ${loaded.max.toFixed(0)} ms, ${loaded.count} asks, ${loaded.failures} failed; hub event loop delay p99 ${hub.loopDelayP99Ms.toFixed(0)} ms, max ${hub.loopDelayMaxMs.toFixed(0)} ms; hub peak ${memoryLine(hub)}`
}
