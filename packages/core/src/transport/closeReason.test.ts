import { describe, expect, it } from 'vitest'
import { closeReason } from './closeReason.js'

const utf8Bytes = (text: string) => new TextEncoder().encode(text).length

describe('closeReason', () => {
  it('keeps a short reason and cuts a long one to 123 bytes of UTF-8 without splitting a character', () => {
    expect(closeReason('bye')).toBe('bye')
    expect(closeReason('x'.repeat(200))).toBe('x'.repeat(123))
    for (const long of ['é'.repeat(100), '€'.repeat(100), '😀'.repeat(100), `a${'😀'.repeat(40)}`]) {
      const cut = closeReason(long)
      expect(utf8Bytes(cut)).toBeLessThanOrEqual(123)
      expect(utf8Bytes(cut)).toBeGreaterThan(118)
      expect(long.startsWith(cut)).toBe(true)
      expect(cut).not.toMatch(/[\uD800-\uDBFF]$/)
    }
  })
})
