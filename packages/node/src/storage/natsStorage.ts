import { jetstream } from '@nats-io/jetstream'
import { type KV, type KvEntry, Kvm } from '@nats-io/kv'
import { connect, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node'
import { type Storage, TroupeError } from '@troupe/core'
import { assertDuration, assertRevision } from './checks.js'
import {
  encodeKey,
  ifCurrent,
  live,
  openBucket,
  untilAnswering,
  watchConnected,
  whileNoResponders,
} from './natsKv.js'

/** Options of {@link natsStorage}. */
export interface NatsStorageOptions {
  /** Where the NATS servers (with JetStream enabled) listen, e.g. `nats://127.0.0.1:4222`. */
  servers: string | string[]
  /**
   * Name of the KV bucket that holds state; leases go to `<bucket>_leases`.
   * Letters, digits, `-` and `_`. Created when missing.
   * @default 'troupe'
   */
  bucket?: string
  /**
   * How long a lease lasts after each acquire or renew: the TTL of the lease bucket,
   * which the server enforces (NATS before 2.11 has no per-key TTL). `acquire` and
   * `renew` accept a `ttlMs` up to this and the lease lasts this long whatever they
   * asked; a larger `ttlMs` is refused with `BAD_ARGUMENT`, since the lease would end
   * before its holder expects. Every engine sharing the bucket must use the same value.
   * @default 2_000
   */
  leaseTtlMs?: number
  /** How long connecting, and each call, waits for the server before rejecting with `STORAGE`. @default 5_000 */
  timeoutMs?: number
  /** Replicas of each bucket on a NATS cluster (1, 3 or 5), when it creates them. @default 1 */
  replicas?: number
  /** More connection options (credentials, TLS, name) for `connect` of `@nats-io/transport-node`. */
  connection?: Omit<NodeConnectionOptions, 'servers' | 'timeout'>
}

const DEFAULTS = { bucket: 'troupe', leaseTtlMs: 2_000, timeoutMs: 5_000, replicas: 1 } as const

interface Buckets {
  connection: NatsConnection
  state: KV
  leases: KV
  /** False from a disconnect until the client has reconnected. */
  connected(): boolean
}

/**
 * A {@link Storage} in NATS JetStream key-value buckets, for nodes on many machines.
 * State lives in one bucket (history 1, no TTL) whose KV revision is the stored
 * revision; writes are `create` (revision 0) or `update` on that revision. Leases
 * live in a second bucket whose TTL is `leaseTtlMs`, enforced by the server's clock;
 * a lease's token is its entry's revision. Keys are base64url-encoded, so any string
 * is a valid key.
 *
 * Connects on first use and reconnects by itself. While disconnected, calls reject
 * at once with a `STORAGE` error; a call the server does not answer rejects after
 * `timeoutMs`. A `write` that rejected with `STORAGE` may still have been applied
 * (its answer was lost): read to find out.
 *
 * @example
 * ```ts
 * const storage = natsStorage({ servers: 'nats://127.0.0.1:4222', leaseTtlMs: 5_000 })
 * const lease = await storage.acquire('cart:42', 'n1', 5_000)
 * const revision = await storage.write('cart:42', new Uint8Array([1]), 0)
 * ```
 */
export function natsStorage(options: NatsStorageOptions): Storage & AsyncDisposable {
  const bucket = options.bucket ?? DEFAULTS.bucket
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs
  if (!/^[-\w]+$/.test(bucket)) {
    throw new TroupeError('BAD_ARGUMENT', `bad bucket "${bucket}": expected letters, digits, "-" and "_"`)
  }
  assertDuration('leaseTtlMs', options.leaseTtlMs ?? DEFAULTS.leaseTtlMs)
  assertDuration('timeoutMs', timeoutMs)
  // whole milliseconds, as the bucket's TTL reads back
  const leaseTtlMs = Math.ceil(options.leaseTtlMs ?? DEFAULTS.leaseTtlMs)
  const servers = [options.servers].flat().join(',')
  const where = `nats storage (${servers}, bucket "${bucket}")`
  const leaseBucket = `${bucket}_leases`

  const open = async (): Promise<Buckets> => {
    const connection = await connect({
      maxReconnectAttempts: -1,
      ...options.connection,
      servers: options.servers,
      timeout: timeoutMs,
    })
    try {
      const kvm = new Kvm(jetstream(connection, { timeout: timeoutMs }))
      // direct gets (the default), never STREAM.MSG.GET: see untilAnswering
      const common = { history: 1, replicas: options.replicas ?? DEFAULTS.replicas }
      const state = await openBucket(kvm, bucket, common)
      const leases = await openBucket(kvm, leaseBucket, { ...common, ttl: leaseTtlMs })
      await untilAnswering(connection, state, timeoutMs)
      await untilAnswering(connection, leases, timeoutMs)
      const [stateTtl, leaseTtl] = [(await state.status()).ttl, (await leases.status()).ttl]
      if (stateTtl !== 0) {
        throw new TroupeError(
          'BAD_ARGUMENT',
          `${where}: state bucket has a TTL of ${stateTtl} ms, expected none`,
        )
      }
      if (leaseTtl !== leaseTtlMs) {
        throw new TroupeError(
          'BAD_ARGUMENT',
          `${where}: lease bucket "${leaseBucket}" has a TTL of ${leaseTtl} ms, not leaseTtlMs ${leaseTtlMs}: ` +
            'every engine sharing a bucket needs the same leaseTtlMs',
        )
      }
      return { connection, state, leases, connected: watchConnected(connection) }
    } catch (error) {
      await connection.close().catch(() => {})
      throw error
    }
  }

  let closed = false
  let opening: Promise<Buckets> | undefined
  const closedError = () => new TroupeError('CLOSED', `${where} is closed`)
  const buckets = async (): Promise<Buckets> => {
    if (closed) throw closedError()
    // a failed attempt is forgotten, so the next call tries again
    opening ??= open().catch((error: unknown) => {
      opening = undefined
      throw error
    })
    return opening
  }
  /** Runs one call, turning client errors into `STORAGE` errors that name the servers and the call. */
  const call = async <T>(what: string, run: (buckets: Buckets) => Promise<T>): Promise<T> => {
    try {
      const open = await buckets()
      // fail now rather than queue the call: the client would send it after reconnecting, long after it timed out
      if (!open.connected()) throw new Error('disconnected, reconnecting')
      return await run(open)
    } catch (error) {
      if (error instanceof TroupeError) throw error
      if (closed) throw closedError()
      throw new TroupeError('STORAGE', `${where}: ${what} failed: ${messageOf(error)}`, { cause: error })
    }
  }
  const checkLeaseTtl = (ttlMs: number): void => {
    assertDuration('ttlMs', ttlMs)
    if (ttlMs > leaseTtlMs) {
      throw new TroupeError(
        'BAD_ARGUMENT',
        `bad ttlMs ${ttlMs}: more than this engine's leaseTtlMs ${leaseTtlMs}, the TTL of its lease bucket`,
      )
    }
  }
  const get = (bucket: KV, name: string) => whileNoResponders(() => bucket.get(name), timeoutMs)
  /** Sends a conditional write; `undefined` when the revision moved on. */
  const send = <T>(write: () => Promise<T>): Promise<T | undefined> =>
    ifCurrent(whileNoResponders(write, timeoutMs))
  const ownerBytes = (owner: string) => new TextEncoder().encode(JSON.stringify({ owner }))
  const ownerOf = (entry: KvEntry): string | undefined => {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(entry.value))
    return (parsed as { owner?: string }).owner
  }

  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    const open = await opening?.catch(() => undefined)
    await open?.connection.close()
  }

  return {
    async acquire(key, owner, ttlMs) {
      checkLeaseTtl(ttlMs)
      return call(`acquire "${key}"`, async ({ leases }) => {
        const name = encodeKey(key)
        // a lost race means the entry just changed: look again, at most a few times
        for (let attempt = 0; attempt < 3; attempt++) {
          const entry = live(await get(leases, name))
          if (entry !== undefined && ownerOf(entry) !== owner) return undefined
          const token = await send(() =>
            entry === undefined
              ? leases.create(name, ownerBytes(owner))
              : leases.update(name, ownerBytes(owner), entry.revision),
          )
          if (token !== undefined) return { key, owner, token }
        }
        return undefined
      })
    },
    async renew(lease, ttlMs) {
      checkLeaseTtl(ttlMs)
      return call(`renew "${lease.key}"`, async ({ leases }) => {
        const name = encodeKey(lease.key)
        const entry = live(await get(leases, name))
        if (entry?.revision !== lease.token || ownerOf(entry) !== lease.owner) return undefined
        // the token is the entry's revision: the update succeeds only if nothing touched it since
        const token = await send(() => leases.update(name, ownerBytes(lease.owner), lease.token))
        return token === undefined ? undefined : { ...lease, token }
      })
    },
    renewAll(leases, ttlMs) {
      // each on its own (requests to the server go out together): the same as renew, lease by lease
      return Promise.all(leases.map((lease) => this.renew(lease, ttlMs)))
    },
    async release(lease) {
      return call(`release "${lease.key}"`, async ({ leases }) => {
        const name = encodeKey(lease.key)
        const entry = live(await get(leases, name))
        if (entry?.revision !== lease.token || ownerOf(entry) !== lease.owner) return
        await send(() => leases.delete(name, { previousSeq: lease.token }))
      })
    },
    async read(key) {
      return call(`read "${key}"`, async ({ state }) => {
        const entry = live(await get(state, encodeKey(key)))
        // a copy, as a plain Uint8Array: the client hands out a Buffer over its read buffer
        return entry && { value: new Uint8Array(entry.value), revision: entry.revision }
      })
    },
    async write(key, value, revision) {
      assertRevision(revision)
      return call(`write "${key}"`, ({ state }) => {
        const name = encodeKey(key)
        return send(() => (revision === 0 ? state.create(name, value) : state.update(name, value, revision)))
      })
    },
    close,
    [Symbol.asyncDispose]: close,
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
