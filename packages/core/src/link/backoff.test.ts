import { describe, expect, it } from 'vitest'
import { Backoff } from './backoff.js'

describe('Backoff', () => {
  it('doubles its ceiling up to the cap, with full jitter below it', () => {
    const top = new Backoff(100, 1_000, () => 0.999_999)
    expect([1, 2, 3, 4, 5, 6].map(() => top.next())).toEqual([99, 199, 399, 799, 999, 999])
    const bottom = new Backoff(100, 1_000, () => 0)
    expect(bottom.next()).toBe(0)
  })

  it('starts over after reset', () => {
    const backoff = new Backoff(100, 1_000, () => 0.5)
    backoff.next()
    backoff.next()
    backoff.reset()
    expect(backoff.next()).toBe(50)
  })
})
