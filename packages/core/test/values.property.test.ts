import { encode } from '@msgpack/msgpack'
import { isTroupeError, MAX_VALUE_DEPTH } from '@troupe/core'
import { decodeValue, encodeValue } from '@troupe/core/internal'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { msgpackTooDeep } from '../src/wire/depth.js'
import { propertyParams } from './seed.js'

/** Keys a plain object may have on the wire (msgpack's decoder refuses "__proto__"). */
const key = fc.string({ maxLength: 8 }).filter((k) => k !== '__proto__')

const { value: sendable } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(null, undefined, true, false),
    // -0 is the one number that arrives changed (as 0): msgpack writes it as the integer 0
    fc.double().map((x) => (Object.is(x, -0) ? 0 : x)),
    fc.string({ maxLength: 16 }),
    fc.bigInt({ min: -(2n ** 100n), max: 2n ** 100n }),
    fc.date({ noInvalidDate: true }),
    fc.uint8Array({ maxLength: 16 }),
    fc.array(tie('value'), { maxLength: 4 }),
    // as plain objects: one without a prototype arrives as a plain one
    fc.dictionary(key, tie('value'), { maxKeys: 4 }).map((object) => ({ ...object })),
    fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 3 }).map((pairs) => new Map(pairs)),
    fc.array(tie('value'), { maxLength: 3 }).map((members) => new Set(members)),
  ),
}))

/** How deep plain arrays and objects nest (a scalar is 0). */
function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0
  const children = Array.isArray(value) ? value : Object.values(value)
  return 1 + Math.max(0, ...children.map(depthOf))
}

describe('sendable values', () => {
  it('arrive as they were sent: Map, Set, Date, BigInt, Uint8Array and undefined included', () => {
    fc.assert(
      fc.property(sendable, (value) => {
        expect(decodeValue(encodeValue(value))).toStrictEqual(value)
      }),
      { ...propertyParams, numRuns: propertyParams.numRuns ?? 1_000 },
    )
  })

  it('carry an error with its name, message, code and cause, and no stack of the sender', () => {
    const cause = new TypeError('inner')
    const error = Object.assign(new RangeError('outer', { cause }), { code: 'E_RANGE' })
    const back = decodeValue(encodeValue({ error })) as { error: Error & { code: string; cause: Error } }
    expect(back.error).toBeInstanceOf(Error)
    expect([back.error.name, back.error.message, back.error.code]).toEqual(['RangeError', 'outer', 'E_RANGE'])
    expect([back.error.cause.name, back.error.cause.message]).toEqual(['TypeError', 'inner'])
    expect(back.error.stack).toBe('RangeError: outer')
  })

  it('copy binary data out of what they were decoded from', () => {
    const bytes = encodeValue({ data: new Uint8Array([1, 2, 3]) })
    const { data } = decodeValue(bytes) as { data: Uint8Array }
    expect(data.buffer).not.toBe(bytes.buffer)
    expect(data.buffer.byteLength).toBe(3)
  })

  it('refuse what cannot cross, naming where it is in the message', () => {
    class Point {
      constructor(readonly x: number) {}
    }
    const cases: Array<[unknown, string]> = [
      [{ items: [1, 2, 3, { callback: () => 1 }] }, 'message.items[3].callback is a function'],
      [{ tag: Symbol('s') }, 'message.tag is a symbol'],
      [{ at: new Point(1) }, 'message.at is an instance of Point'],
      [
        new Map([['k', { 'odd key': new Float32Array(1) }]]),
        'message <value 0>["odd key"] is a Float32Array',
      ],
    ]
    for (const [value, where] of cases) {
      let error: unknown
      try {
        encodeValue(value)
      } catch (caught) {
        error = caught
      }
      expect(isTroupeError(error, 'UNENCODABLE')).toBe(true)
      expect((error as Error).message).toContain(where)
    }
    const cycle: Record<string, unknown> = {}
    cycle.self = cycle
    expect(() => encodeValue(cycle)).toThrow(`nests deeper than ${MAX_VALUE_DEPTH} levels (a cycle?)`)
  })

  it('nest as deep as the limit, Maps included, and are refused on arrival when deeper, before any of it is built', () => {
    let deep: unknown = 1
    for (let i = 1; i < MAX_VALUE_DEPTH; i++) deep = new Map([['k', deep]])
    expect(decodeValue(encodeValue(deep))).toStrictEqual(deep)
    const bytes = new Uint8Array(1_000_000).fill(0x91)
    bytes[bytes.length - 1] = 0x01
    expect(() => decodeValue(bytes)).toThrow(`nests deeper than ${MAX_VALUE_DEPTH} levels`)
  })
})

describe('the depth scan', () => {
  it('finds exactly how deep any msgpack value nests, without decoding it', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.nat(10), (value, limit) => {
        const bytes = encode(value)
        expect(msgpackTooDeep(bytes, limit)).toBe(depthOf(value) > limit)
      }),
      { ...propertyParams, numRuns: propertyParams.numRuns ?? 2_000 },
    )
  })

  it('finds a value nested one level too deep in as few bytes as that takes', () => {
    for (const limit of [1, 5, 130]) {
      const bytes = new Uint8Array(limit + 1).fill(0x91) // limit + 1 arrays, the innermost empty
      bytes[limit] = 0x90
      expect(msgpackTooDeep(bytes, limit)).toBe(true)
      expect(msgpackTooDeep(bytes.subarray(1), limit)).toBe(false)
    }
  })
})
