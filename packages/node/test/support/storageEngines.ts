import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { memoryStorage, natsStorage, type Storage, sqliteStorage } from '@troupe/node'
import { type NatsServer, startNatsServer } from './natsServer.js'

/**
 * One storage engine under test. `store(leaseTtlMs)` makes a fresh, empty store and
 * returns a function that opens a handle on it: another connection where the engine
 * has connections (SQLite, NATS), the same instance in memory.
 */
export interface StorageEngine {
  readonly name: string
  start(): Promise<void>
  store(leaseTtlMs: number): () => Storage
  /** Closes every handle opened since the last call. */
  closeHandles(): Promise<void>
  stop(): Promise<void>
}

/** Tracks handles so each test closes what it opened. */
function handles() {
  const open: Storage[] = []
  return {
    track<T extends Storage>(storage: T): T {
      open.push(storage)
      return storage
    },
    async closeAll(): Promise<void> {
      await Promise.all(open.splice(0).map((storage) => storage.close()))
    },
  }
}

export function memoryEngine(): StorageEngine {
  const opened = handles()
  return {
    name: 'memory',
    async start() {},
    store() {
      const storage = opened.track(memoryStorage())
      return () => storage
    },
    closeHandles: opened.closeAll,
    async stop() {},
  }
}

export function sqliteEngine(): StorageEngine {
  const opened = handles()
  let dir = ''
  let files = 0
  return {
    name: 'sqlite',
    async start() {
      dir = mkdtempSync(join(tmpdir(), 'troupe-sqlite-'))
    },
    store() {
      const file = join(dir, `store-${++files}`, 'troupe.db')
      return () => opened.track(sqliteStorage(file))
    },
    closeHandles: opened.closeAll,
    async stop() {
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export function natsEngine(): StorageEngine {
  const opened = handles()
  let server: NatsServer | undefined
  let buckets = 0
  return {
    name: 'nats',
    async start() {
      server = await startNatsServer()
    },
    store(leaseTtlMs) {
      const bucket = `store${++buckets}`
      return () => opened.track(natsStorage({ servers: server!.url, bucket, leaseTtlMs }))
    },
    closeHandles: opened.closeAll,
    async stop() {
      await server?.stop()
    },
  }
}

/** Polls `attempt` every 10 ms until it resolves with a value; fails after `timeoutMs`. */
export async function eventually<T>(attempt: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const value = await attempt()
    if (value !== undefined) return value
    if (Date.now() > until) throw new Error(`still undefined after ${timeoutMs} ms`)
    await sleep(10)
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
