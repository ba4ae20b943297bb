import { encode } from '@msgpack/msgpack'
import { DEAD_LETTER_REASONS, ProtocolError } from '@troupe/core'
import {
  bodyIsLast,
  type DataEnvelope,
  ENVELOPE_CODES,
  type Envelope,
  FrameCodec,
  joinFrame,
  MAX_ASK_ID,
  type MemberRecord,
  type MessageEnvelope,
} from '@troupe/core/internal'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { propertyParams } from './seed.js'

const nodeId = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/)
const segment = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,20}$/)
const address = fc
  .tuple(fc.array(segment, { minLength: 1, maxLength: 3 }), nodeId)
  .map(([parts, node]) => `${parts.join('/')}@${node}`)
const uint = fc.maxSafeNat()
const askId = fc.nat({ max: MAX_ASK_ID })
const actorName = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/'))
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined })
const role = fc.constantFrom('hub' as const, 'client' as const)
/** Message bodies travel encoded: any bytes, as far as the frame codec is concerned. */
const body = fc.uint8Array({ maxLength: 64 })
const position = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })
const stream = { seq: position, base: position, origin: nodeId, originIncarnation: uint }

const member: fc.Arbitrary<MemberRecord> = fc.record({
  id: nodeId,
  role,
  incarnation: uint,
  status: fc.constantFrom('up' as const, 'suspect' as const, 'down' as const, 'left' as const),
  via: optional(nodeId),
  url: optional(fc.webUrl()),
  principal: optional(fc.string()),
  kinds: fc.array(fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/), { maxLength: 4 }),
})

const message: fc.Arbitrary<MessageEnvelope> = fc.record({
  type: fc.constant('message' as const),
  ...stream,
  to: address,
  from: optional(address),
  askId,
  body,
  trace: optional(fc.string()),
})

const envelope: fc.Arbitrary<Envelope> = fc.oneof(
  fc.record({
    type: fc.constant('hello' as const),
    version: uint,
    from: nodeId,
    incarnation: uint,
    role,
    token: optional(fc.string()),
    url: optional(fc.webUrl()),
  }),
  fc.record({
    type: fc.constant('welcome' as const),
    version: uint,
    from: nodeId,
    incarnation: uint,
    role,
    url: optional(fc.webUrl()),
    maxTtlMs: uint,
  }),
  message,
  fc.record({
    type: fc.constant('reply' as const),
    ...stream,
    dest: nodeId,
    askId,
    failed: fc.boolean(),
    body,
  }),
  fc.record({
    type: fc.constant('dead' as const),
    ...stream,
    dest: nodeId,
    to: address,
    from: optional(address),
    askId,
    reason: fc.constantFrom(...DEAD_LETTER_REASONS),
    body,
  }),
  fc.record({ type: fc.constant('skip' as const), ...stream, dest: nodeId }),
  fc.record({
    type: fc.constant('ack' as const),
    from: nodeId,
    fromIncarnation: uint,
    dest: nodeId,
    destIncarnation: uint,
    seq: uint,
    gap: fc.boolean(),
  }),
  fc.record({
    type: fc.constant('unreachable' as const),
    dest: nodeId,
    node: nodeId,
    reason: fc.constantFrom('unknown' as const, 'down' as const, 'left' as const, 'no-route' as const),
  }),
  fc.record({
    type: fc.constant('refused' as const),
    dest: nodeId,
    node: nodeId,
    seq: uint,
    reason: fc.constantFrom(...DEAD_LETTER_REASONS),
    detail: fc.string(),
  }),
  fc.record({
    type: fc.constant('heartbeat' as const),
    sentAt: fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x)),
    echo: fc.boolean(),
    load: fc.array(fc.tuple(actorName, uint), { maxLength: 4 }).map((pairs) => pairs.flat()),
    summary: fc.array(uint, { maxLength: 6 }),
  }),
  fc.record({ type: fc.constant('gossip' as const), members: fc.array(member, { maxLength: 5 }) }),
  fc.record({
    type: fc.constant('groups' as const),
    node: nodeId,
    incarnation: uint,
    rev: uint,
    entries: fc
      .array(fc.tuple(fc.stringMatching(/^[A-Za-z0-9_.:-]{1,64}$/), actorName), { maxLength: 4 })
      .map((pairs) => pairs.flat()),
  }),
  fc.record({
    type: fc.constant('watch-groups' as const),
    groups: fc.array(fc.constantFrom('workers', 'presence', 'a.b:c'), { maxLength: 3 }),
  }),
  fc.record({
    type: fc.constant('hosts' as const),
    kinds: fc.array(fc.constantFrom('counter', 'board'), { maxLength: 3 }),
  }),
  fc.record({ type: fc.constant('bye' as const), reason: fc.string() }),
)
const frame = fc.array(envelope, { minLength: 1, maxLength: 40 })

/** The rule for any input: valid envelopes that survive a second round trip, or a ProtocolError. */
function decodesOrRejects(codec: FrameCodec, bytes: Uint8Array): void {
  let envelopes: Envelope[]
  try {
    envelopes = codec.decode(bytes)
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error
    expect(error.code).toBe('PROTOCOL')
    return
  }
  expect(envelopes.length).toBeGreaterThan(0)
  expect(codec.decode(codec.encode(envelopes))).toEqual(envelopes)
}

describe('frame codec', () => {
  const codec = new FrameCodec()

  it('round-trips any batch of envelopes', () => {
    fc.assert(
      fc.property(frame, (envelopes) => {
        expect(codec.decode(codec.encode(envelopes))).toEqual(envelopes)
      }),
      propertyParams,
    )
  })

  it('turns any byte string into valid envelopes or a ProtocolError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => decodesOrRejects(codec, bytes)),
      { ...propertyParams, numRuns: propertyParams.numRuns ?? 2_000 },
    )
  })

  it('turns any mutation of a valid frame into valid envelopes or a ProtocolError', () => {
    const mutation = fc.record({
      at: fc.nat(),
      byte: fc.integer({ min: 0, max: 255 }),
      kind: fc.constantFrom('flip', 'truncate', 'insert', 'delete'),
    })
    fc.assert(
      fc.property(frame, fc.array(mutation, { minLength: 1, maxLength: 4 }), (envelopes, mutations) => {
        let bytes = Array.from(codec.encode(envelopes))
        for (const { at, byte, kind } of mutations) {
          const i = at % Math.max(1, bytes.length)
          if (kind === 'flip') bytes[i] = byte
          else if (kind === 'truncate') bytes = bytes.slice(0, i)
          else if (kind === 'insert') bytes.splice(i, 0, byte)
          else bytes.splice(i, 1)
        }
        decodesOrRejects(codec, Uint8Array.from(bytes))
      }),
      { ...propertyParams, numRuns: propertyParams.numRuns ?? 2_000 },
    )
  })

  it('writes a data envelope at the stream position it is sent with, as the whole envelope would be written', () => {
    const isData = (e: Envelope): e is DataEnvelope =>
      e.type === 'message' || e.type === 'reply' || e.type === 'dead' || e.type === 'skip'
    fc.assert(
      fc.property(envelope.filter(isData), (sent) => {
        // an origin keeps the envelope without a position and gives it one at each send
        const kept = { ...sent, seq: 0, base: 0 }
        const frame = joinFrame([codec.encodeData(kept, sent.seq, sent.base)], 1)
        expect(frame).toEqual(codec.encode([sent]))
        expect(codec.decode(frame)).toEqual([sent])
      }),
      propertyParams,
    )
  })

  it('says a body is last exactly when the encoding ends with it (a link then sends it by reference)', () => {
    const withBody = (e: Envelope): e is Exclude<DataEnvelope, { type: 'skip' }> =>
      e.type === 'message' || e.type === 'reply' || e.type === 'dead'
    fc.assert(
      fc.property(
        envelope.filter(withBody).filter((e) => e.body.byteLength > 0),
        (sent) => {
          const bytes = codec.encodeData(sent, sent.seq, sent.base)
          const tail = bytes.subarray(bytes.byteLength - sent.body.byteLength)
          if (bodyIsLast(sent)) expect([...tail]).toEqual([...sent.body])
          // a traced message is the one whose body something follows
          expect(bodyIsLast(sent)).toBe(sent.type !== 'message' || sent.trace === undefined)
        },
      ),
      propertyParams,
    )
  })

  it('refuses a frame nested deeper than any envelope, before building it', () => {
    // a one-element array inside a one-element array, a million deep: a megabyte that would build a million arrays
    const bytes = new Uint8Array(1_000_000).fill(0x91)
    bytes[bytes.length - 1] = 0x01
    expect(() => codec.decode(bytes)).toThrow(/frame nests deeper than 5 levels/)
  })

  it('enforces the frame-size limit before decoding', () => {
    const small = new FrameCodec({ maxFrameBytes: 64 })
    const valid = small.encode([{ type: 'bye', reason: 'x'.repeat(100) }])
    expect(() => small.decode(valid)).toThrow(
      new ProtocolError(`frame of ${valid.byteLength} bytes exceeds the limit of 64`),
    )
  })

  it('enforces the envelope count limit', () => {
    const small = new FrameCodec({ maxEnvelopesPerFrame: 2 })
    const byes = [1, 2, 3].map((n) => ({ type: 'bye' as const, reason: `${n}` }))
    expect(() => small.decode(small.encode(byes))).toThrow(/3 envelopes, over the limit of 2/)
  })

  it('names what is wrong in a bad envelope', () => {
    const decodeRaw = (value: unknown) => () => codec.decode(encode(value))
    expect(decodeRaw([[4, 'a', 1, 'b', 1, -1, false]])).toThrow(
      /ack envelope 0: field "seq" must be a non-negative integer/,
    )
    expect(decodeRaw([[5, 'soon', true, [], []]])).toThrow(
      /heartbeat envelope 0: field "sentAt" must be a finite number/,
    )
    expect(decodeRaw([[5, 1, true, ['a', 1, 'b'], []]])).toThrow(
      /field "load" must be at most 64 pairs of actor names and mailbox depths/,
    )
    expect(decodeRaw([[14, 'n1', 1, 1, ['bad group', 'a']]])).toThrow(/field "entries" has a bad pair at 0/)
    expect(decodeRaw([[99, 1]])).toThrow(/envelope 0 has unknown type 99/)
    const message = (id: number) => [
      ENVELOPE_CODES.MESSAGE,
      1,
      1,
      'n1',
      1,
      'a@n2',
      null,
      id,
      new Uint8Array(1),
    ]
    expect(decodeRaw([message(MAX_ASK_ID)])).not.toThrow()
    // a stream position starts at 1: a hub once answered base 0 with an ack of position -1
    const atBase = (base: number) => [
      ENVELOPE_CODES.MESSAGE,
      1,
      base,
      'n1',
      1,
      'a@n2',
      null,
      0,
      new Uint8Array(1),
    ]
    expect(decodeRaw([atBase(0)])).toThrow(/message envelope 0: field "base" must be a positive integer/)
    expect(decodeRaw([message(MAX_ASK_ID + 1)])).toThrow(
      /message envelope 0: field "askId" must be an integer from 0 to 1073741823/,
    )
    expect(decodeRaw([[7, 1, 2]])).toThrow(/bye envelope 0 has 2 fields, expected 1/)
    expect(decodeRaw([[3, 1, 1, 'n1', 1, 'no-at-sign', null, 0, new Uint8Array(1)]])).toThrow(
      /message envelope 0: field "to" is not valid: bad address "no-at-sign": missing "@node" part/,
    )
    expect(decodeRaw([[3, 1, 1, 'n1', 1, 'a@n1', null, 0, 5]])).toThrow(/field "body" must be binary/)
    expect(decodeRaw([[3, 1, 1, 'n1', 1, 'a@n1', null, 0]])).toThrow(/has 7 fields, expected 8 to 9/)
    expect(decodeRaw([[9, 1, 1, 'n1', 1, 'n2', 'a@n1', null, 0, 'lost', new Uint8Array(0)]])).toThrow(
      /field "reason" must be one of/,
    )
    expect(decodeRaw([])).toThrow(/not a non-empty array/)
    expect(decodeRaw({ 1: 2 })).toThrow(/not a non-empty array/)
    expect(() => codec.decode(new Uint8Array([0xc1]))).toThrow(ProtocolError)
    expect(() => codec.decode('text' as unknown as Uint8Array)).toThrow(/not binary data/)
  })
})
