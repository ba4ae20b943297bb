/**
 * Fuzzes a live hub over real sockets: raw `ws` connections feed it random
 * bytes, mutated valid frames, oversized frames, text frames, bad handshakes
 * and frames before the hello, while a second hub and a client (child
 * processes) exchange numbered messages through it. Seeded: a failure prints
 * the command that replays the same cases with `SEED=<n>` (`FUZZ_RUNS=<n>`
 * changes how many). Besides broken bytes it sends envelopes that decode fine
 * but lie: answers to asks it was never sent, dead-letter reports, acks and
 * route notices in other nodes' names, messages as other nodes, frames
 * nested a thousand levels deep.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { CLOSE_CODES, DEAD_LETTER_REASONS, type Node } from '@troupe/core'
import { type Envelope, encodeValue, MAX_ASK_ID, PROTOCOL_VERSION } from '@troupe/core/internal'
import { createNode } from '@troupe/node'
import { type NodeWorker, startNodeWorker, waitFor } from '@troupe/test-support'
import { SEED } from '@troupe/test-support/seed'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { codecLike, hello, openRawPeer, type RawClose } from './support/rawPeer.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const HUB_ID = 'fuzzhub'
const MAX_FRAME_BYTES = 64 * 1024
const HANDSHAKE_TIMEOUT_MS = 500
/** Ids the accepted fuzz connections take turns with, so the hub's member table stays small. */
const ID_POOL = 8
/** How long a case waits for the hub to answer or close; far above what loopback needs. */
const ANSWER_MS = 5_000
const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 2_500)
const WARMUP_RUNS = 150
/** fast-check stops starting new cases after this long (the runs above are the other bound). */
const FUZZ_TIME_LIMIT_MS = 20_000
const MEMORY_BOUND_BYTES = 20 * 1024 * 1024

const codec = codecLike(MAX_FRAME_BYTES)
const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

// ---- the cases ----

type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; byte: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'delete'; at: number; count: number }
  | { op: 'truncate'; at: number }

type Case =
  | { kind: 'random'; afterHello: boolean; bytes: Uint8Array }
  | { kind: 'mutated'; envelopes: Envelope[]; mutations: Mutation[] }
  | { kind: 'oversized'; afterHello: boolean; size: number }
  | { kind: 'text'; afterHello: boolean; text: string }
  | { kind: 'badHello'; field: string; value: unknown }
  | { kind: 'beforeHello'; envelopes: Envelope[] }
  | { kind: 'lies'; envelopes: Envelope[] }
  | { kind: 'deep'; afterHello: boolean; depth: number }

type Kind = Case['kind']

/** What the hub should do with a frame: close with a code, or answer (welcome) / keep the connection. */
type Verdict = { close: number } | { open: true }

// never the good nodes' `log` actors: a fuzzed body there would be counted as theirs
const address = fc.constantFrom(`sink@${HUB_ID}`, `nobody@${HUB_ID}`, 'sink@elsewhere')
const body = fc.jsonValue({ maxDepth: 3 })

const stream = (seq: number) => ({ seq, base: 1, origin: 'fz-0', originIncarnation: 1 })

/** A valid frame's envelopes from a client (its origin and incarnation are set per connection, see {@link asClient}). */
const validEnvelopes = fc
  .array(
    fc.oneof(
      {
        weight: 4,
        arbitrary: fc.tuple(address, body).map(([to, b]) => ({ kind: 'message' as const, to, b })),
      },
      { weight: 1, arbitrary: fc.nat({ max: 50 }).map((seq) => ({ kind: 'ack' as const, seq })) },
      { weight: 1, arbitrary: fc.nat().map((sentAt) => ({ kind: 'heartbeat' as const, sentAt })) },
    ),
    { minLength: 1, maxLength: 6 },
  )
  .map((items) => {
    let seq = 0
    return items.map((item): Envelope => {
      // acks of a stream from an earlier run of the hub: ignored, whatever they say
      if (item.kind === 'ack')
        return {
          type: 'ack',
          from: 'fz-0',
          fromIncarnation: 1,
          dest: HUB_ID,
          destIncarnation: 1,
          seq: item.seq,
          gap: false,
        }
      if (item.kind === 'heartbeat')
        return { type: 'heartbeat', sentAt: item.sentAt, echo: false, load: [], summary: [] }
      const body = encodeValue(item.b)
      return {
        type: 'message',
        ...stream(++seq),
        to: item.to,
        from: undefined,
        askId: 0,
        body,
        trace: undefined,
      }
    })
  })

/** Envelopes that decode fine and lie: each is dropped (and counted), never believed, never the end of the connection. */
const lie: fc.Arbitrary<Envelope> = fc.oneof(
  fc.nat({ max: MAX_ASK_ID }).map(
    (askId): Envelope => ({
      type: 'reply',
      ...stream(1),
      origin: 'victim',
      dest: 'cl',
      askId,
      failed: false,
      body: encodeValue('FORGED'),
    }),
  ),
  fc.nat({ max: MAX_ASK_ID }).map(
    (askId): Envelope => ({
      type: 'reply',
      ...stream(1),
      dest: HUB_ID,
      askId,
      failed: false,
      body: encodeValue({ admin: true }),
    }),
  ),
  fc.constantFrom(...DEAD_LETTER_REASONS).map(
    (reason): Envelope => ({
      type: 'dead',
      ...stream(1),
      dest: 'cl',
      to: 'log@cl',
      from: undefined,
      askId: 1,
      reason,
      body: encodeValue('lies'),
    }),
  ),
  fc.nat().map(
    (seq): Envelope => ({
      type: 'ack',
      from: 'cl',
      fromIncarnation: 1,
      dest: 'hub2',
      destIncarnation: 1,
      seq,
      gap: false,
    }),
  ),
  fc.constantFrom('unknown' as const, 'down' as const, 'left' as const, 'no-route' as const).map(
    (reason): Envelope => ({
      type: 'unreachable',
      dest: 'cl',
      node: 'hub2',
      reason,
    }),
  ),
  fc.constant<Envelope>({
    type: 'refused',
    dest: 'cl',
    node: 'hub2',
    seq: 1,
    reason: 'rejected',
    detail: 'lies',
  }),
  fc.constant<Envelope>({
    type: 'message',
    ...stream(1),
    origin: 'cl',
    to: `sink@${HUB_ID}`,
    from: undefined,
    askId: 0,
    body: encodeValue('as cl'),
    trace: undefined,
  }),
  fc.constant<Envelope>({
    type: 'message',
    ...stream(1),
    to: `sink@${HUB_ID}`,
    from: 'admin@hub2',
    askId: 0,
    body: encodeValue('as admin'),
    trace: undefined,
  }),
  fc.constant<Envelope>({
    type: 'gossip',
    members: [
      {
        id: 'cl',
        role: 'client',
        incarnation: 2 ** 52,
        status: 'left',
        via: 'nowhere',
        url: undefined,
        principal: undefined,
        kinds: [],
      },
    ],
  }),
)

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    op: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
)

/** Values that make a hello invalid, by field (the codec or the handshake refuses each). */
const BAD_HELLO_FIELDS: Record<string, fc.Arbitrary<unknown>> = {
  version: fc.oneof(
    fc.constant(0),
    fc.integer({ min: PROTOCOL_VERSION + 1, max: 2 ** 31 }),
    fc.constant(-1),
    fc.constant('1'),
  ),
  from: fc.oneof(
    fc.constant(''),
    fc.constant(HUB_ID), // the hub's own id
    fc.string({ minLength: 65, maxLength: 80, unit: fc.constantFrom('a', 'b', '1') }),
    fc.constantFrom('a b', 'x@y', 'n/1', 'é', '../a', 'a\u0000'),
    fc.integer(),
    fc.constant(null),
  ),
  role: fc.oneof(fc.constantFrom('admin', 'Hub', ''), fc.integer(), fc.constant(null)),
  incarnation: fc.oneof(fc.constant(-1), fc.constant(1.5), fc.constant('7'), fc.constant(null)),
  url: fc.oneof(fc.integer(), fc.constant(false)),
}

const nonHelloEnvelope: fc.Arbitrary<Envelope> = fc.oneof(
  fc.constant<Envelope>({ type: 'heartbeat', sentAt: 1, echo: false, load: [], summary: [] }),
  fc.constant<Envelope>({
    type: 'ack',
    from: 'fz-a',
    fromIncarnation: 1,
    dest: HUB_ID,
    destIncarnation: 1,
    seq: 3,
    gap: false,
  }),
  fc.constant<Envelope>({ type: 'bye', reason: 'bye' }),
  fc.constant<Envelope>({ type: 'gossip', members: [] }),
  fc.constant<Envelope>({
    type: 'welcome',
    version: PROTOCOL_VERSION,
    from: 'fz-w',
    incarnation: 1,
    role: 'hub',
    url: undefined,
    maxTtlMs: 1_000,
  }),
  fc.constant<Envelope>({
    type: 'message',
    ...stream(1),
    origin: 'fz-m',
    to: `sink@${HUB_ID}`,
    from: undefined,
    askId: 0,
    body: encodeValue(1),
    trace: undefined,
  }),
)

const caseArb: fc.Arbitrary<Case> = fc.oneof(
  fc.record({
    kind: fc.constant('random' as const),
    afterHello: fc.boolean(),
    bytes: fc.uint8Array({ maxLength: 2_048 }),
  }),
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('mutated' as const),
      envelopes: validEnvelopes,
      mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('lies' as const),
      envelopes: fc.array(lie, { minLength: 1, maxLength: 4 }),
    }),
  },
  fc.record({
    kind: fc.constant('deep' as const),
    afterHello: fc.boolean(),
    depth: fc.integer({ min: 5, max: 60_000 }),
  }),
  fc.record({
    kind: fc.constant('oversized' as const),
    afterHello: fc.boolean(),
    size: fc.integer({ min: MAX_FRAME_BYTES + 1, max: MAX_FRAME_BYTES + 8_192 }),
  }),
  fc.record({
    kind: fc.constant('text' as const),
    afterHello: fc.boolean(),
    text: fc.string({ maxLength: 64 }),
  }),
  fc
    .constantFrom(...Object.keys(BAD_HELLO_FIELDS))
    .chain((field) => BAD_HELLO_FIELDS[field]!.map((value) => ({ kind: 'badHello' as const, field, value }))),
  fc.record({
    kind: fc.constant('beforeHello' as const),
    envelopes: fc.array(nonHelloEnvelope, { minLength: 1, maxLength: 3 }),
  }),
)

function mutate(frame: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let bytes = [...frame]
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % bytes.length
    switch (m.op) {
      case 'flip':
        if (bytes.length > 0) bytes[at] = bytes[at]! ^ (1 << m.bit)
        break
      case 'set':
        if (bytes.length > 0) bytes[at] = m.byte
        break
      case 'insert':
        bytes.splice(at, 0, ...m.bytes)
        break
      case 'delete':
        bytes.splice(at, m.count)
        break
      case 'truncate':
        bytes = bytes.slice(0, at)
        break
    }
  }
  return new Uint8Array(bytes)
}

/** What the hub should do with the first frame of a connection (see the handshake in core). */
function verdictBeforeHello(frame: Uint8Array): Verdict {
  if (frame.byteLength > MAX_FRAME_BYTES) return { close: 1009 }
  let envelopes: Envelope[]
  try {
    envelopes = codec.decode(frame)
  } catch {
    return { close: CLOSE_CODES.PROTOCOL_ERROR }
  }
  const first = envelopes[0]!
  if (envelopes.length !== 1 || first.type !== 'hello') return { close: CLOSE_CODES.PROTOCOL_ERROR }
  if (first.version !== PROTOCOL_VERSION || first.from === HUB_ID)
    return { close: CLOSE_CODES.PROTOCOL_ERROR }
  return { open: true }
}

/** What the hub should do with a frame on a link that completed its handshake. */
function verdictAfterHello(frame: Uint8Array): Verdict {
  if (frame.byteLength > MAX_FRAME_BYTES) return { close: 1009 }
  let envelopes: Envelope[]
  try {
    envelopes = codec.decode(frame)
  } catch {
    return { close: CLOSE_CODES.PROTOCOL_ERROR }
  }
  // a second handshake on a link is a protocol error; every other valid envelope is handled
  if (envelopes.some((e) => e.type === 'hello' || e.type === 'welcome'))
    return { close: CLOSE_CODES.PROTOCOL_ERROR }
  return { open: true }
}

function randomBytes(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size)
  let x = seed | 1
  for (let i = 0; i < size; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    bytes[i] = x & 0xff
  }
  return bytes
}

const timeout = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([
    promise,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms),
    ),
  ])

const range = (n: number) => Array.from({ length: n }, (_, i) => i)

// ---- the harness ----

interface Tally {
  cases: Record<Kind, number>
  closes: Record<string, number>
  /** Mutated or random frames that still decoded: the hub handled them and kept the link. */
  stillValid: number
  welcomed: number
}

function newTally(): Tally {
  return {
    cases: { random: 0, mutated: 0, oversized: 0, text: 0, badHello: 0, beforeHello: 0, lies: 0, deep: 0 },
    closes: {},
    stillValid: 0,
    welcomed: 0,
  }
}

/**
 * Runs one case on a fresh connection and checks the hub's answer against the
 * verdict: the close code it must send, or (for frames that are still valid)
 * that it keeps serving the connection (it answers a heartbeat).
 */
async function runCase(hub: Node, c: Case, tally: Tally, slot: { next: number }): Promise<void> {
  const id = `fz-${slot.next++ % ID_POOL}`
  const greeting = hello(id)
  const peer = openRawPeer(hub.url!, codec)
  try {
    await timeout(peer.opened, ANSWER_MS, 'open')
    const handshake = async () => {
      peer.send(codec.encode([greeting]))
      const welcome = await peer.waitForEnvelope((e) => e.type === 'welcome', ANSWER_MS)
      expect(welcome, `the hub welcomes a valid hello from ${id}`).toBeDefined()
    }
    let verdict: Verdict
    switch (c.kind) {
      case 'random': {
        if (c.afterHello) await handshake()
        verdict = c.afterHello ? verdictAfterHello(c.bytes) : verdictBeforeHello(c.bytes)
        peer.send(c.bytes)
        break
      }
      case 'mutated': {
        await handshake()
        const frame = mutate(
          codec.encode(c.envelopes.map((e) => asClient(e, id, greeting.incarnation))),
          c.mutations,
        )
        verdict = verdictAfterHello(frame)
        peer.send(frame)
        break
      }
      case 'lies': {
        await handshake()
        // the lies are told with this connection's own stream numbers where a stream is involved
        const frame = codec.encode(
          c.envelopes.map((e) =>
            e.type === 'message' && e.origin === 'fz-0' ? asClient(e, id, greeting.incarnation) : e,
          ),
        )
        verdict = { open: true }
        peer.send(frame)
        break
      }
      case 'deep': {
        if (c.afterHello) await handshake()
        const frame = new Uint8Array(c.depth).fill(0x91)
        frame[c.depth - 1] = 0x01
        verdict = { close: CLOSE_CODES.PROTOCOL_ERROR }
        peer.send(frame)
        break
      }
      case 'oversized': {
        if (c.afterHello) await handshake()
        verdict = { close: 1009 }
        peer.send(randomBytes(c.size, c.size))
        break
      }
      case 'text': {
        if (c.afterHello) await handshake()
        verdict = { close: CLOSE_CODES.PROTOCOL_ERROR }
        peer.send(c.text)
        break
      }
      case 'badHello': {
        const frame = codec.encode([{ ...hello(id), [c.field]: c.value } as Envelope])
        verdict = verdictBeforeHello(frame)
        expect(verdict, `a hello with ${c.field} = ${JSON.stringify(c.value)} is bad`).toEqual({
          close: CLOSE_CODES.PROTOCOL_ERROR,
        })
        peer.send(frame)
        break
      }
      case 'beforeHello': {
        const frame = codec.encode(c.envelopes)
        verdict = verdictBeforeHello(frame)
        expect(verdict).toEqual({ close: CLOSE_CODES.PROTOCOL_ERROR })
        peer.send(frame)
        // a valid hello right behind it must not get in: the connection is already condemned
        peer.send(codec.encode([hello(id)]))
        break
      }
    }
    tally.cases[c.kind]++
    if ('close' in verdict) {
      const closed: RawClose = await timeout(peer.closed, ANSWER_MS, `close after ${c.kind}`)
      tally.closes[closed.code] = (tally.closes[closed.code] ?? 0) + 1
      expect(closed.code, `${c.kind}: close code (reason: ${closed.reason})`).toBe(verdict.close)
      const first = c.kind === 'beforeHello' || c.kind === 'badHello'
      if (first || ((c.kind === 'random' || c.kind === 'deep') && !c.afterHello)) {
        expect(peer.frames.length, 'nothing is answered to a bad first frame').toBe(0)
      }
      return
    }
    // still valid: the hub handled the frame and must go on serving this connection
    if (c.kind === 'random' && !c.afterHello) {
      tally.welcomed++
      expect(await peer.waitForEnvelope((e) => e.type === 'welcome', ANSWER_MS)).toBeDefined()
    } else tally.stillValid++
    const sentAt = 1_000_000 + slot.next
    peer.send(codec.encode([{ type: 'heartbeat', sentAt, echo: false, load: [], summary: [] }]))
    const echo = await peer.waitForEnvelope(
      (e) => e.type === 'heartbeat' && e.echo && e.sentAt === sentAt,
      ANSWER_MS,
    )
    expect(echo, `${c.kind}: the hub still answers on a link whose frame was valid`).toBeDefined()
    expect(peer.isClosed).toBe(false)
    peer.close(1000)
    await timeout(peer.closed, ANSWER_MS, 'our own close')
  } finally {
    peer.terminate()
  }
}

/** An envelope as the fuzz connection's own: its id and incarnation where the envelope names its sender. */
function asClient(envelope: Envelope, id: string, incarnation: number): Envelope {
  if (envelope.type === 'message') return { ...envelope, origin: id, originIncarnation: incarnation }
  if (envelope.type === 'ack') return { ...envelope, from: id, fromIncarnation: incarnation }
  return envelope
}

function heapUsed(): number {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`

describe('a hub fed garbage over real sockets', () => {
  it('closes every bad connection with the right code, keeps relaying for good nodes, and keeps its memory flat', async () => {
    const hub = await createNode({
      id: HUB_ID,
      listen: { host: '127.0.0.1', port: 0 },
      maxFrameBytes: MAX_FRAME_BYTES,
      handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
    })
    cleanups.push(() => hub.close())
    const atHub = new Map<string, number[]>()
    hub.spawn('log', {
      receive(msg: { from: string; seq: number }) {
        const list = atHub.get(msg.from) ?? []
        list.push(msg.seq)
        atHub.set(msg.from, list)
      },
    })
    let sunk = 0
    hub.spawn('sink', {
      receive() {
        sunk++
      },
    })
    const hubDeadLetters: Record<string, number> = {}
    hub.on('deadletter', (d) => {
      hubDeadLetters[d.reason] = (hubDeadLetters[d.reason] ?? 0) + 1
    })

    // the good nodes: a second hub and a client, whose traffic to each other goes through the fuzzed hub
    const good: NodeWorker[] = []
    cleanups.push(() => Promise.all(good.map((p) => p.kill())))
    const hub2 = await startNodeWorker('hub2', { listen: { host: '127.0.0.1', port: 0 }, seeds: [hub.url] })
    good.push(hub2)
    const client = await startNodeWorker('cl', { seeds: [hub.url] })
    good.push(client)
    await Promise.all([
      hub2.waitFor((e) => e.event === 'member-up' && e.id === 'cl'),
      client.waitFor((e) => e.event === 'member-up' && e.id === 'hub2'),
    ])
    const stream = { perTick: 5, tickMs: 20, ttlMs: 60_000 }
    await hub2.stream({ targets: ['log@cl', `log@${HUB_ID}`], ...stream })
    await client.stream({ targets: ['log@hub2', `log@${HUB_ID}`], ...stream })

    const slot = { next: 0 }
    const warmup = newTally()
    await fc.assert(
      fc.asyncProperty(caseArb, (c) => runCase(hub, c, warmup, slot)),
      { seed: SEED, numRuns: WARMUP_RUNS },
    )
    const heapBefore = heapUsed()

    const tally = newTally()
    await fc.assert(
      fc.asyncProperty(caseArb, (c) => runCase(hub, c, tally, slot)),
      { seed: SEED + 1, numRuns: FUZZ_RUNS, interruptAfterTimeLimit: FUZZ_TIME_LIMIT_MS },
    )

    // connections that never say hello: silent ones, and ones that only ping, are closed with 4008
    const silent = Array.from({ length: 6 }, () => openRawPeer(hub.url!, codec))
    await Promise.all(silent.map((peer) => timeout(peer.opened, ANSWER_MS, 'open')))
    const pinger = setInterval(() => {
      for (const peer of silent.slice(3)) if (!peer.isClosed) peer.socket.ping()
    }, 100)
    const silentCloses = await Promise.all(
      silent.map((peer) => timeout(peer.closed, ANSWER_MS * 2, 'silent')),
    )
    clearInterval(pinger)
    expect(silentCloses.map((c) => c.code)).toEqual(silent.map(() => CLOSE_CODES.HANDSHAKE_TIMEOUT))

    const heapAfter = heapUsed()

    // the good nodes' streams: complete and in order, once the streams stop and the last messages land
    const [fromHub2, fromClient] = await Promise.all([hub2.streamStop(), client.streamStop()])
    const expected: Array<[NodeWorker | undefined, string, number]> = [
      [client, 'hub2', fromHub2['log@cl']!],
      [undefined, 'hub2', fromHub2[`log@${HUB_ID}`]!],
      [hub2, 'cl', fromClient['log@hub2']!],
      [undefined, 'cl', fromClient[`log@${HUB_ID}`]!],
    ]
    const receivedBy = async (at: NodeWorker | undefined, from: string): Promise<number[]> =>
      at === undefined ? (atHub.get(from) ?? []) : at.numbersFrom(from)
    const deliveredAll = async () => {
      for (const [at, from, count] of expected) if ((await receivedBy(at, from)).length < count) return false
      return true
    }
    // on a timeout the assertions below say what is missing
    await waitFor(deliveredAll, { timeoutMs: 20_000, intervalMs: 100 }).catch(() => {})
    for (const [at, from, count] of expected) {
      expect(await receivedBy(at, from), `${from} -> ${at?.id ?? HUB_ID}`).toEqual(range(count))
    }
    const goodDeadLetters = good.flatMap((p) => p.events.filter((e) => e.event === 'deadletter'))
    expect(goodDeadLetters).toEqual([])

    const all = (t: Tally) => Object.values(t.cases).reduce((a, b) => a + b, 0)
    console.log(
      [
        `fuzz: ${all(warmup)} warm-up cases, then ${all(tally)} cases: ${JSON.stringify(tally.cases)}`,
        `  hub closed them with ${JSON.stringify(tally.closes)}; ${tally.stillValid} mutated/random frames still decoded (link kept, heartbeat answered), ${tally.welcomed} random first frames were valid hellos`,
        `  silent connections: ${silentCloses.length} closed with ${CLOSE_CODES.HANDSHAKE_TIMEOUT}`,
        `  hub: sink got ${sunk} fuzzed messages; dead letters ${JSON.stringify(hubDeadLetters)}`,
        `  good nodes: ${expected.map(([at, from, count]) => `${from}->${at?.id ?? HUB_ID} ${count}`).join(', ')}: complete, in order`,
        `  hub heap after GC: ${mb(heapBefore)} after warm-up, ${mb(heapAfter)} after fuzzing (${heapAfter >= heapBefore ? '+' : ''}${mb(heapAfter - heapBefore)}); rss ${mb(process.memoryUsage().rss)}`,
      ].join('\n'),
    )
    expect(all(tally)).toBeGreaterThan(0)
    expect(heapAfter - heapBefore).toBeLessThan(MEMORY_BOUND_BYTES)
  }, 120_000)
})
