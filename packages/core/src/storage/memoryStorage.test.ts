import { createTestClock } from '@troupe/core/testing'
import { describe, expect, it } from 'vitest'
import { isTroupeError } from '../errors.js'
import { memoryStorage } from './memoryStorage.js'

const bytes = (...values: number[]) => new Uint8Array(values)

describe('memoryStorage on the test clock', () => {
  it('holds a lease for exactly its ttl, then lets another owner take it with a larger token', async () => {
    const clock = createTestClock()
    const storage = memoryStorage({ clock })
    const a = await storage.acquire('k', 'a', 1_000)
    expect(a).toEqual({ key: 'k', owner: 'a', token: 1 })
    await clock.advance(999)
    expect(await storage.acquire('k', 'b', 1_000)).toBeUndefined()
    await clock.advance(1)
    const b = await storage.acquire('k', 'b', 1_000)
    expect(b?.token).toBeGreaterThan(a!.token)
    expect(await storage.renew(a!, 1_000)).toBeUndefined()
  })

  it('renews from now: the renewed lease outlives the first expiry, the old token is stale', async () => {
    const clock = createTestClock()
    const storage = memoryStorage({ clock })
    const first = await storage.acquire('k', 'a', 1_000)
    await clock.advance(800)
    const renewed = await storage.renew(first!, 1_000)
    expect(renewed?.token).toBeGreaterThan(first!.token)
    expect(await storage.renew(first!, 1_000)).toBeUndefined()
    await clock.advance(999) // 1,799 ms after the acquire, 999 after the renewal
    expect(await storage.acquire('k', 'b', 1_000)).toBeUndefined()
    await clock.advance(1)
    expect(await storage.renew(renewed!, 1_000)).toBeUndefined() // expired, though nobody took it
    expect(await storage.acquire('k', 'b', 1_000)).toBeDefined()
  })

  it('re-acquiring by the holder renews; release frees the key at once, a stale release does nothing', async () => {
    const clock = createTestClock()
    const storage = memoryStorage({ clock })
    const first = await storage.acquire('k', 'a', 1_000)
    const again = await storage.acquire('k', 'a', 1_000)
    expect(again?.token).toBe(first!.token + 1)
    await storage.release(first!) // stale: the token moved on
    expect(await storage.acquire('k', 'b', 1_000)).toBeUndefined()
    await storage.release(again!)
    const b = await storage.acquire('k', 'b', 1_000)
    expect(b?.token).toBe(again!.token + 1)
    await storage.release(again!)
    expect(await storage.acquire('k', 'c', 1_000)).toBeUndefined()
  })

  it('writes only on the current revision and copies values in and out', async () => {
    const storage = memoryStorage({ clock: createTestClock() })
    const value = bytes(1, 2)
    expect(await storage.write('k', value, 1)).toBeUndefined()
    expect(await storage.write('k', value, 0)).toBe(1)
    value[0] = 9
    const read = await storage.read('k')
    expect(read).toEqual({ value: bytes(1, 2), revision: 1 })
    read!.value[0] = 9
    expect((await storage.read('k'))?.value).toEqual(bytes(1, 2))
    expect(await storage.write('k', bytes(3), 0)).toBeUndefined()
    expect(await storage.write('k', bytes(3), 1)).toBe(2)
    expect(await storage.write('k', bytes(4), 1)).toBeUndefined()
    expect(await storage.read('k')).toEqual({ value: bytes(3), revision: 2 })
  })

  it('rejects bad arguments with BAD_ARGUMENT and every call after close with CLOSED', async () => {
    const storage = memoryStorage({ clock: createTestClock() })
    await expect(storage.acquire('k', 'a', 0)).rejects.toSatisfy((e) => isTroupeError(e, 'BAD_ARGUMENT'))
    await expect(storage.write('k', bytes(), -1)).rejects.toSatisfy((e) => isTroupeError(e, 'BAD_ARGUMENT'))
    await expect(storage.write('k', bytes(), 0.5)).rejects.toThrow('bad revision 0.5')
    await storage.close()
    await storage.close()
    await expect(storage.read('k')).rejects.toSatisfy((e) => isTroupeError(e, 'CLOSED'))
    await expect(storage.acquire('k', 'a', 1)).rejects.toSatisfy((e) => isTroupeError(e, 'CLOSED'))
  })
})
