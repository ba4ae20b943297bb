import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DataQueue } from '../src/link/dataQueue.js'
import { propertyParams } from './seed.js'

/** An envelope of `head` bytes, then a body of `body` bytes passed by reference if `shared`; each byte says which envelope it is from. */
const envelope = fc.record({
  head: fc.integer({ min: 1, max: 300 }),
  body: fc.integer({ min: 0, max: 20_000 }),
  shared: fc.boolean(),
})
type Spec = { head: number; body: number; shared: boolean }
const step = fc.oneof(
  envelope.map((spec) => ({ push: spec })),
  fc.constant({ take: true }),
)

function bytesOf(spec: Spec, index: number): { bytes: Uint8Array; body: Uint8Array | undefined } {
  const bytes = new Uint8Array(spec.head + spec.body).fill(index % 256)
  const body = spec.shared && spec.body > 0 ? bytes.subarray(spec.head) : undefined
  return { bytes, body }
}

describe('a link’s data queue', () => {
  it('gives back every envelope whole, in order, in frames no bigger than asked unless one envelope is', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70_000 }),
        fc.array(step, { maxLength: 80 }),
        (maxBytes, steps) => {
          const queue = new DataQueue(maxBytes)
          const sizes: number[] = []
          const out: number[] = [] // the envelope each byte taken belongs to
          let pushed = 0
          let taken = 0
          const take = () => {
            const parts: Uint8Array[] = []
            const envelopes = queue.takeInto(parts)
            const frame = parts.reduce((n, part) => n + part.byteLength, 0)
            // whole envelopes only, and over the limit only for a single envelope
            expect(frame).toBe(sizes.slice(taken, taken + envelopes).reduce((a, b) => a + b, 0))
            if (envelopes > 1) expect(frame).toBeLessThanOrEqual(maxBytes)
            if (!queue.isEmpty) expect(envelopes).toBeGreaterThan(0)
            for (const part of parts) out.push(...part)
            taken += envelopes
          }
          for (const s of steps) {
            if ('push' in s) {
              const { bytes, body } = bytesOf(s.push, pushed++)
              queue.push(bytes, body)
              sizes.push(bytes.byteLength)
            } else take()
            expect(queue.bytes).toBe(sizes.slice(taken).reduce((a, b) => a + b, 0))
          }
          while (!queue.isEmpty) take()
          expect(taken).toBe(pushed)
          const expected = sizes.flatMap((size, i) => Array<number>(size).fill(i % 256))
          expect(out).toEqual(expected)
        },
      ),
      { ...propertyParams, numRuns: propertyParams.numRuns ?? 300 },
    )
  })

  it('copies what it is given, except a shared body, which it keeps by reference', () => {
    const queue = new DataQueue(65_536)
    const small = new Uint8Array([1, 2, 3])
    const large = new Uint8Array(5_000).fill(7)
    queue.push(small)
    queue.push(large, large.subarray(100))
    small.fill(0) // the caller's buffer is reused (the codec's is)
    const parts: Uint8Array[] = []
    expect(queue.takeInto(parts)).toBe(2)
    expect([...parts[0]!.subarray(0, 3)]).toEqual([1, 2, 3])
    expect(parts.some((part) => part.buffer === large.buffer && part.byteOffset === 100)).toBe(true)
    expect(queue.isEmpty).toBe(true)
  })

  it('writes small envelopes queued after a large one in the same frame', () => {
    const queue = new DataQueue(65_536)
    const large = new Uint8Array(5_000)
    queue.push(new Uint8Array(10))
    queue.push(large, large.subarray(100))
    queue.push(new Uint8Array(10))
    queue.push(new Uint8Array(10))
    expect(queue.takeInto([])).toBe(4)
    expect(queue.isEmpty).toBe(true)
  })
})
