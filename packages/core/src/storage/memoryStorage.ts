import { type Clock, realClock } from '../clock.js'
import { TroupeError } from '../errors.js'
import { assertPositiveNumber } from '../validate.js'
import type { Lease, Storage, Stored } from './storage.js'

/** Options of {@link memoryStorage}. */
export interface MemoryStorageOptions {
  /** Measures lease expiry; injected for tests. @default the real clock */
  clock?: Clock
}

interface LeaseRow {
  owner: string | undefined
  token: number
  expiresAt: number
}

/**
 * A {@link Storage} held in this process's memory: state and leases vanish with
 * it. For tests and examples, or for several nodes running in one process.
 *
 * @example
 * ```ts
 * const storage = memoryStorage()
 * const lease = await storage.acquire('cart:42', 'n1', 5_000)
 * const revision = await storage.write('cart:42', new Uint8Array([1]), 0)
 * ```
 */
export function memoryStorage(options: MemoryStorageOptions = {}): Storage & AsyncDisposable {
  const clock = options.clock ?? realClock
  const state = new Map<string, Stored>()
  // kept after release or expiry, so a key's tokens keep growing
  const leases = new Map<string, LeaseRow>()
  let closed = false

  const checkOpen = (): void => {
    if (closed) throw new TroupeError('CLOSED', 'memory storage is closed')
  }
  const held = (row: LeaseRow | undefined): row is LeaseRow & { owner: string } =>
    row?.owner !== undefined && row.expiresAt > clock.now()
  const grant = (key: string, owner: string, ttlMs: number): Lease => {
    const token = (leases.get(key)?.token ?? 0) + 1
    leases.set(key, { owner, token, expiresAt: clock.now() + ttlMs })
    return { key, owner, token }
  }
  const close = async (): Promise<void> => {
    closed = true
  }

  return {
    async acquire(key, owner, ttlMs) {
      checkOpen()
      assertPositiveNumber('ttlMs', ttlMs)
      const row = leases.get(key)
      if (held(row) && row.owner !== owner) return undefined
      return grant(key, owner, ttlMs)
    },
    async renew(lease, ttlMs) {
      checkOpen()
      assertPositiveNumber('ttlMs', ttlMs)
      const row = leases.get(lease.key)
      if (!held(row) || row.owner !== lease.owner || row.token !== lease.token) return undefined
      return grant(lease.key, lease.owner, ttlMs)
    },
    renewAll(leases, ttlMs) {
      return Promise.all(leases.map((lease) => this.renew(lease, ttlMs)))
    },
    async release(lease) {
      checkOpen()
      const row = leases.get(lease.key)
      if (row?.owner === lease.owner && row.token === lease.token) row.owner = undefined
    },
    async read(key) {
      checkOpen()
      const stored = state.get(key)
      return stored && { value: stored.value.slice(), revision: stored.revision }
    },
    async write(key, value, revision) {
      checkOpen()
      assertRevision(revision)
      if ((state.get(key)?.revision ?? 0) !== revision) return undefined
      state.set(key, { value: value.slice(), revision: revision + 1 })
      return revision + 1
    },
    close,
    [Symbol.asyncDispose]: close,
  }
}

function assertRevision(revision: number): void {
  if (!Number.isInteger(revision) || revision < 0) {
    throw new TroupeError('BAD_ARGUMENT', `bad revision ${String(revision)}: expected an integer >= 0`)
  }
}
