// NATS storage beyond the shared contract: a server that is not there, one that dies
// and comes back, and the lease bucket's TTL rules. Real nats-server processes.
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isTroupeError, natsStorage, type Storage } from '@troupe/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type NatsServer, startNatsServer } from './support/natsServer.js'
import { eventually, sleep } from './support/storageEngines.js'

const opened: Storage[] = []
const open = (options: Parameters<typeof natsStorage>[0]): Storage => {
  const storage = natsStorage(options)
  opened.push(storage)
  return storage
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((storage) => storage.close()))
})

/** A port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

const storageError = (e: unknown) => isTroupeError(e, 'STORAGE')

describe('natsStorage when the server is unreachable', () => {
  it('rejects every call with STORAGE naming the server, and closes cleanly', async () => {
    const url = `nats://127.0.0.1:${await closedPort()}`
    const storage = open({ servers: url, timeoutMs: 1_000 })
    const error = await storage.read('k').catch((e: unknown) => e)
    expect(isTroupeError(error, 'STORAGE')).toBe(true)
    expect((error as Error).message).toContain(url)
    await expect(storage.acquire('k', 'a', 1_000)).rejects.toSatisfy(storageError)
    await expect(storage.write('k', new Uint8Array([1]), 0)).rejects.toSatisfy(storageError)
    await storage.close()
  })

  it('rejects with STORAGE while the server is gone, and works again once it is back', async () => {
    const storeDir = mkdtempSync(join(tmpdir(), 'troupe-nats-'))
    let server = await startNatsServer({ storeDir })
    try {
      const storage = open({ servers: server.url, timeoutMs: 1_000, connection: { reconnectTimeWait: 100 } })
      const revision = await storage.write('k', new Uint8Array([1]), 0)
      await server.stop('SIGKILL')
      // the first call may leave before the client notices: it then times out, also as STORAGE
      await expect(storage.read('k')).rejects.toSatisfy(storageError)
      await expect(storage.write('k', new Uint8Array([2]), revision!)).rejects.toSatisfy(storageError)
      await expect(storage.acquire('k', 'a', 1_000)).rejects.toSatisfy(storageError)
      server = await startNatsServer({ storeDir, port: server.port })
      const stored = await eventually(() => storage.read('k').catch(() => undefined))
      expect(stored).toEqual({ value: new Uint8Array([1]), revision })
      expect(await storage.write('k', new Uint8Array([2]), revision!)).toBeGreaterThan(revision!)
    } finally {
      await server.stop()
      rmSync(storeDir, { recursive: true, force: true })
    }
  })
})

describe('natsStorage lease TTL: the lease bucket rules', () => {
  let server: NatsServer
  beforeAll(async () => {
    server = await startNatsServer()
  })
  afterAll(() => server.stop())

  it('refuses a ttlMs above leaseTtlMs; a smaller one gets a lease that lasts leaseTtlMs', async () => {
    const storage = open({ servers: server.url, bucket: 'ttl-rules', leaseTtlMs: 1_000 })
    await expect(storage.acquire('k', 'a', 1_001)).rejects.toSatisfy((e) => isTroupeError(e, 'BAD_ARGUMENT'))
    const before = Date.now()
    const a = await storage.acquire('k', 'a', 100)
    await expect(storage.renew(a!, 5_000)).rejects.toThrow('more than this engine')
    await sleep(300)
    expect(await storage.acquire('k', 'b', 1_000)).toBeUndefined()
    await eventually(() => storage.acquire('k', 'b', 1_000))
    expect(Date.now() - before).toBeGreaterThanOrEqual(1_000)
  })

  it('refuses to share a lease bucket made with another leaseTtlMs', async () => {
    const first = open({ servers: server.url, bucket: 'shared', leaseTtlMs: 1_000 })
    await first.read('k')
    const second = open({ servers: server.url, bucket: 'shared', leaseTtlMs: 2_000 })
    const error = await second.read('k').catch((e: unknown) => e)
    expect(isTroupeError(error, 'BAD_ARGUMENT')).toBe(true)
    expect((error as Error).message).toMatch(/TTL of 1000 ms, not leaseTtlMs 2000/)
  })

  it('refuses a bucket name NATS would not accept', () => {
    expect(() => natsStorage({ servers: server.url, bucket: 'a.b' })).toThrow('bad bucket "a.b"')
  })
})
