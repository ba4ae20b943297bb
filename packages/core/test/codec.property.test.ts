import { encode } from '@msgpack/msgpack'
import {
  DEAD_LETTER_REASONS,
  type Envelope,
  FrameCodec,
  type MemberRecord,
  ProtocolError,
} from '@troupe/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { propertyParams } from './seed.js'

const nodeId = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/)
const segment = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,20}$/)
const address = fc
  .tuple(fc.array(segment, { minLength: 1, maxLength: 3 }), nodeId)
  .map(([parts, node]) => `${parts.join('/')}@${node}`)
const uint = fc.maxSafeNat()
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined })
const role = fc.constantFrom('hub' as const, 'client' as const)
// Two JSON values do not travel as they are: -0 encodes as the integer 0, and the
// decoder refuses a "__proto__" key (it guards against prototype pollution).
const body = fc
  .jsonValue()
  .map((v) =>
    JSON.parse(JSON.stringify(v), (k, x) => (k === '__proto__' ? undefined : Object.is(x, -0) ? 0 : x)),
  )

const member: fc.Arbitrary<MemberRecord> = fc.record({
  id: nodeId,
  role,
  incarnation: uint,
  status: fc.constantFrom('up' as const, 'suspect' as const, 'down' as const, 'left' as const),
  via: optional(nodeId),
  url: optional(fc.webUrl()),
})

const envelope: fc.Arbitrary<Envelope> = fc.oneof(
  fc.record({
    type: fc.constant('hello' as const),
    version: uint,
    from: nodeId,
    incarnation: uint,
    role,
    received: uint,
    peerIncarnation: uint,
    token: optional(fc.string()),
    url: optional(fc.webUrl()),
  }),
  fc.record({
    type: fc.constant('welcome' as const),
    version: uint,
    from: nodeId,
    incarnation: uint,
    role,
    received: uint,
    peerIncarnation: uint,
    url: optional(fc.webUrl()),
  }),
  fc.record({
    type: fc.constant('message' as const),
    seq: uint,
    to: address,
    from: optional(address),
    origin: nodeId,
    body,
    askId: uint,
    ttl: uint,
  }),
  fc.record({
    type: fc.constant('reply' as const),
    seq: uint,
    node: nodeId,
    askId: uint,
    body,
    failed: fc.boolean(),
  }),
  fc.record({
    type: fc.constant('dead' as const),
    seq: uint,
    node: nodeId,
    to: address,
    from: optional(address),
    body,
    askId: uint,
    reason: fc.constantFrom(...DEAD_LETTER_REASONS),
  }),
  fc.record({ type: fc.constant('ack' as const), seq: uint }),
  fc.record({
    type: fc.constant('heartbeat' as const),
    sentAt: fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x)),
    echo: fc.boolean(),
  }),
  fc.record({ type: fc.constant('gossip' as const), members: fc.array(member, { maxLength: 5 }) }),
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

  it('refuses a "__proto__" key in a body', () => {
    const bytes = codec.encode([{ type: 'bye', reason: 'x' }]).slice()
    const withProto = encode([[3, 1, 'a@n1', null, 'n1', JSON.parse('{"__proto__": 1}'), 0, 0]])
    expect(() => codec.decode(withProto)).toThrow(/not valid msgpack: The key __proto__ is not allowed/)
    expect(codec.decode(bytes)).toEqual([{ type: 'bye', reason: 'x' }])
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
    const acks = [1, 2, 3].map((seq) => ({ type: 'ack' as const, seq }))
    expect(() => small.decode(small.encode(acks))).toThrow(/3 envelopes, over the limit of 2/)
  })

  it('names what is wrong in a bad envelope', () => {
    const decodeRaw = (value: unknown) => () => codec.decode(encode(value))
    expect(decodeRaw([[4, -1]])).toThrow(/ack envelope 0: field "seq" must be a non-negative integer/)
    expect(decodeRaw([[5, 'soon', true]])).toThrow(
      /heartbeat envelope 0: field "sentAt" must be a finite number/,
    )
    expect(decodeRaw([[99, 1]])).toThrow(/envelope 0 has unknown type 99/)
    expect(decodeRaw([[4, 1, 2]])).toThrow(/ack envelope 0 has 2 fields, expected 1/)
    expect(decodeRaw([[3, 1, 'no-at-sign', null, 'n1', 0, 0, 0]])).toThrow(
      /message envelope 0: field "to" is not valid: bad address "no-at-sign": missing "@node" part/,
    )
    expect(decodeRaw([[9, 1, 'n1', 'a@n1', null, 0, 0, 'lost']])).toThrow(/field "reason" must be one of/)
    expect(decodeRaw([])).toThrow(/not a non-empty array/)
    expect(decodeRaw({ 1: 2 })).toThrow(/not a non-empty array/)
    expect(() => codec.decode(new Uint8Array([0xc1]))).toThrow(ProtocolError)
    expect(() => codec.decode('text' as unknown as Uint8Array)).toThrow(/not binary data/)
  })
})
