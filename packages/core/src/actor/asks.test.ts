import { describe, expect, it } from 'vitest'
import { createTestClock } from '../testing/testClock.js'
import { MAX_ASK_ID } from '../wire/envelope.js'
import { PendingAsks } from './asks.js'

describe('PendingAsks', () => {
  it('hands out distinct ask ids from 1 to MAX_ASK_ID, the range the codec accepts', async () => {
    const asks = new PendingAsks(createTestClock())
    const opened = Array.from({ length: 2_000 }, () => asks.open('echo@n2', 'n2', 1_000, false))
    const ids = opened.map(({ id }) => id)
    expect(ids.every((id) => Number.isInteger(id) && id >= 1 && id <= MAX_ASK_ID)).toBe(true)
    expect(new Set(ids).size).toBe(ids.length)
    asks.failAll(new Error('done'))
    await Promise.all(opened.map(({ promise }) => promise.catch(() => undefined)))
  })
})
