/**
 * A storage that times every call of the storage it wraps, per method. A
 * SQLite call is synchronous, so its time is also time the whole hub stood
 * still (waiting for another process's write lock included); a NATS call's
 * time is a round trip to the server.
 */
import type { Storage } from '@troupe/node'
import { createHistogram, type Histogram, type LatencySummary, summarize } from '../shared/histogram.js'

const METHODS = ['acquire', 'renew', 'renewAll', 'release', 'read', 'write'] as const

/** A storage method that is timed. */
export type StorageMethod = (typeof METHODS)[number]

/** `storage` with its calls timed, and the times since the last reading. */
export interface TimedStorage {
  readonly storage: Storage
  /** Percentiles per method (ms) since the last call, and a fresh start. */
  read(): Record<StorageMethod, LatencySummary>
}

/** Wraps `inner` so that each of its calls is timed. */
export function timeStorage(inner: Storage): TimedStorage {
  const times = new Map<StorageMethod, Histogram>(METHODS.map((method) => [method, createHistogram()]))
  const timed =
    <TArgs extends unknown[], TResult>(method: StorageMethod, call: (...args: TArgs) => Promise<TResult>) =>
    async (...args: TArgs): Promise<TResult> => {
      const startedAt = performance.now()
      try {
        return await call(...args)
      } finally {
        times.get(method)!.record(performance.now() - startedAt)
      }
    }
  const storage: Storage = {
    acquire: timed('acquire', (key: string, owner: string, ttlMs: number) =>
      inner.acquire(key, owner, ttlMs),
    ),
    renew: timed('renew', (lease: Parameters<Storage['renew']>[0], ttlMs: number) =>
      inner.renew(lease, ttlMs),
    ),
    // passed on only where the storage has it: without it, hosts renew lease by lease
    ...(inner.renewAll && {
      renewAll: timed('renewAll', (leases: Parameters<Storage['renew']>[0][], ttlMs: number) =>
        inner.renewAll!(leases, ttlMs),
      ),
    }),
    release: timed('release', (lease: Parameters<Storage['release']>[0]) => inner.release(lease)),
    read: timed('read', (key: string) => inner.read(key)),
    write: timed('write', (key: string, value: Uint8Array, revision: number) =>
      inner.write(key, value, revision),
    ),
    close: () => inner.close(),
  }
  return {
    storage,
    read() {
      const summaries = Object.fromEntries(
        METHODS.map((method) => [method, summarize(times.get(method)!)]),
      ) as Record<StorageMethod, LatencySummary>
      for (const method of METHODS) times.set(method, createHistogram())
      return summaries
    },
  }
}
