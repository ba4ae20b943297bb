// The Storage contract, checked against every engine: memory, SQLite (a real file,
// several connections) and NATS JetStream KV (a real nats-server, several connections).
import { isTroupeError, type Storage } from '@troupe/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  eventually,
  memoryEngine,
  natsEngine,
  type StorageEngine,
  sleep,
  sqliteEngine,
} from './support/storageEngines.js'

/** Long enough that a lease cannot expire during a test's few calls. */
const HELD_MS = 20_000
/** Short enough to wait for. */
const SHORT_MS = 300
const bytes = (...values: number[]) => new Uint8Array(values)
const range = (n: number) => Array.from({ length: n }, (_, i) => i)

describe.each([memoryEngine(), sqliteEngine(), natsEngine()])('$name storage', (engine: StorageEngine) => {
  beforeAll(() => engine.start())
  afterEach(() => engine.closeHandles())
  afterAll(() => engine.stop())
  const open = (leaseTtlMs = HELD_MS): Storage => engine.store(leaseTtlMs)()

  it('reads nothing for a missing key', async () => {
    expect(await open().read('missing')).toBeUndefined()
  })

  it('writes with revision 0, then with the revision it returned', async () => {
    const storage = open()
    const first = await storage.write('k', bytes(1, 2, 3), 0)
    expect(first).toBeGreaterThan(0)
    expect(await storage.read('k')).toEqual({ value: bytes(1, 2, 3), revision: first })
    const second = await storage.write('k', bytes(4), first!)
    expect(second).toBeGreaterThan(first!)
    expect(await storage.read('k')).toEqual({ value: bytes(4), revision: second })
  })

  it('refuses a stale revision and writes nothing then', async () => {
    const storage = open()
    const first = await storage.write('k', bytes(1), 0)
    const second = await storage.write('k', bytes(2), first!)
    expect(await storage.write('k', bytes(3), first!)).toBeUndefined()
    expect(await storage.write('k', bytes(3), 0)).toBeUndefined()
    expect(await storage.read('k')).toEqual({ value: bytes(2), revision: second })
    expect(await storage.write('absent', bytes(3), second!)).toBeUndefined()
    expect(await storage.read('absent')).toBeUndefined()
  })

  it('keeps any key and any bytes apart and intact', async () => {
    const storage = open()
    const keys = ['', 'a.b', 'a b', 'a*b>', '$KV.x', 'ü/🙂', 'x'.repeat(500)]
    const values = [bytes(), Uint8Array.from(range(256)), new Uint8Array(100_000).fill(7)]
    for (const [i, key] of keys.entries()) {
      const value = values[i % values.length]!
      const revision = await storage.write(key, value, 0)
      expect(await storage.read(key)).toEqual({ value, revision })
      expect(await storage.acquire(key, `owner-${i}`, HELD_MS)).toMatchObject({ key, owner: `owner-${i}` })
    }
    for (const [i, key] of keys.entries()) {
      expect((await storage.read(key))?.value).toEqual(values[i % values.length])
    }
  })

  it('gives a held lease to nobody else; its holder re-acquires it with a larger token', async () => {
    const connect = engine.store(HELD_MS)
    const storage = connect()
    const a = await storage.acquire('k', 'a', HELD_MS)
    expect(a).toMatchObject({ key: 'k', owner: 'a', token: expect.any(Number) })
    expect(await storage.acquire('k', 'b', HELD_MS)).toBeUndefined()
    const again = await storage.acquire('k', 'a', HELD_MS)
    expect(again?.token).toBeGreaterThan(a!.token)
    expect(await connect().acquire('k', 'b', HELD_MS)).toBeUndefined()
  })

  it('lets another owner take an expired lease, not before its ttl, with a larger token', async () => {
    const storage = open(SHORT_MS)
    const before = Date.now()
    const a = await storage.acquire('k', 'a', SHORT_MS)
    const b = await eventually(() => storage.acquire('k', 'b', SHORT_MS))
    expect(Date.now() - before).toBeGreaterThanOrEqual(SHORT_MS)
    expect(b.token).toBeGreaterThan(a!.token)
    expect(await storage.renew(a!, SHORT_MS)).toBeUndefined()
  })

  it('renews from now: the lease outlives its first expiry; the old token is stale', async () => {
    const ttlMs = 1_000
    const storage = open(ttlMs)
    const a = await storage.acquire('k', 'a', ttlMs)
    await sleep(300)
    const renewedAt = Date.now()
    const renewed = await storage.renew(a!, ttlMs)
    expect(renewed).toMatchObject({ key: 'k', owner: 'a' })
    expect(renewed!.token).toBeGreaterThan(a!.token)
    expect(await storage.renew(a!, ttlMs)).toBeUndefined()
    const b = await eventually(() => storage.acquire('k', 'b', ttlMs))
    expect(Date.now() - renewedAt).toBeGreaterThanOrEqual(ttlMs)
    expect(b.token).toBeGreaterThan(renewed!.token)
    expect(await storage.renew(renewed!, ttlMs)).toBeUndefined()
  })

  it('treats a lease that expired as lost even when nobody took it', async () => {
    const storage = open(SHORT_MS)
    const a = await storage.acquire('k', 'a', SHORT_MS)
    await sleep(3 * SHORT_MS) // NATS expires entries on a server timer: leave it room
    expect(await storage.renew(a!, SHORT_MS)).toBeUndefined()
    expect(await storage.acquire('k', 'a', SHORT_MS)).toBeDefined()
  })

  it('lets another owner in at once after a release; renewing a released lease fails', async () => {
    const storage = open()
    const a = await storage.acquire('k', 'a', HELD_MS)
    await storage.release(a!)
    const b = await storage.acquire('k', 'b', HELD_MS)
    expect(b?.token).toBeGreaterThan(a!.token)
    expect(await storage.renew(a!, HELD_MS)).toBeUndefined()
  })

  it('renews many leases at once, as renew does each: lost ones come back undefined', async () => {
    const storage = open()
    const held = await Promise.all(['k1', 'k2', 'k3'].map((key) => storage.acquire(key, 'a', HELD_MS)))
    await storage.release(held[1]!)
    const renewed = await storage.renewAll!(
      held.map((lease) => lease!),
      HELD_MS,
    )
    expect(renewed.map((lease) => lease?.key)).toEqual(['k1', undefined, 'k3'])
    expect(renewed[0]!.token).toBeGreaterThan(held[0]!.token)
    expect(await storage.renew(held[0]!, HELD_MS)).toBeUndefined() // the old token is stale now
    expect(await storage.acquire('k3', 'b', HELD_MS)).toBeUndefined()
  })

  it('ignores a release or renewal with a stale or forged lease', async () => {
    const storage = open()
    const first = await storage.acquire('k', 'a', HELD_MS)
    const renewed = await storage.renew(first!, HELD_MS)
    await storage.release(first!)
    expect(await storage.acquire('k', 'b', HELD_MS)).toBeUndefined()
    const forged = { key: 'k', owner: 'b', token: renewed!.token }
    expect(await storage.renew(forged, HELD_MS)).toBeUndefined()
    await storage.release(forged)
    expect(await storage.acquire('k', 'b', HELD_MS)).toBeUndefined()
    await storage.release(renewed!)
    const b = await storage.acquire('k', 'b', HELD_MS)
    await storage.release(renewed!)
    expect(await storage.acquire('k', 'c', HELD_MS)).toBeUndefined()
    expect(await storage.renew(b!, HELD_MS)).toBeDefined()
  })

  it('lets exactly one of many writers racing on the same revision win, round after round', async () => {
    const connect = engine.store(HELD_MS)
    const handles = range(4).map(() => connect())
    let revision = 0
    for (const round of range(10)) {
      const results = await Promise.all(
        range(24).map((writer) => handles[writer % 4]!.write('race', bytes(round, writer), revision)),
      )
      const winners = range(24).filter((writer) => results[writer] !== undefined)
      expect(winners).toHaveLength(1)
      const winner = winners[0]!
      expect(await handles[round % 4]!.read('race')).toEqual({
        value: bytes(round, winner),
        revision: results[winner],
      })
      revision = results[winner]!
    }
  })

  it('gives a lease to exactly one of many owners racing for it', async () => {
    const connect = engine.store(HELD_MS)
    const handles = range(4).map(() => connect())
    for (const key of ['free', 'free-again']) {
      const leases = await Promise.all(
        range(24).map((i) => handles[i % 4]!.acquire(key, `owner-${i}`, HELD_MS)),
      )
      expect(leases.filter((lease) => lease !== undefined)).toHaveLength(1)
    }
  })

  it('refuses bad arguments with BAD_ARGUMENT', async () => {
    const storage = open()
    const badArgument = (e: unknown) => isTroupeError(e, 'BAD_ARGUMENT')
    await expect(storage.acquire('k', 'a', 0)).rejects.toSatisfy(badArgument)
    await expect(storage.acquire('k', 'a', Number.NaN)).rejects.toSatisfy(badArgument)
    await expect(storage.write('k', bytes(), -1)).rejects.toSatisfy(badArgument)
    await expect(storage.write('k', bytes(), 1.5)).rejects.toSatisfy(badArgument)
  })

  it('closes idempotently; every call after close rejects with CLOSED', async () => {
    const storage = open()
    await storage.write('k', bytes(1), 0)
    await storage.close()
    await storage.close()
    const closed = (e: unknown) => isTroupeError(e, 'CLOSED')
    await expect(storage.read('k')).rejects.toSatisfy(closed)
    await expect(storage.write('k', bytes(2), 1)).rejects.toSatisfy(closed)
    await expect(storage.acquire('k', 'a', HELD_MS)).rejects.toSatisfy(closed)
  })
})
