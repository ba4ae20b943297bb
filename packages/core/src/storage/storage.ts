/**
 * Where entities (virtual actors) keep their state and their leases. Engines:
 * `memoryStorage()` (one process), `sqliteStorage(file)` and `natsStorage({ servers })`
 * from `@troupe/node`; users may bring their own by implementing this interface.
 *
 * Two guarantees make "one activation" hold even across a partition:
 * - a **lease** names the one node allowed to activate a key until it expires
 *   (an owner renews it while it keeps the key active);
 * - every state **write is conditional** on the revision the writer last saw
 *   (compare-and-set), so a stale activation that lost its lease cannot
 *   overwrite what its successor wrote: its write is refused and it stops.
 */

/** A value in storage with its revision (grows with every write of that key; never reused). */
export interface Stored {
  readonly value: Uint8Array
  readonly revision: number
}

/** The right to activate `key`, held by `owner` until it expires unless renewed. */
export interface Lease {
  readonly key: string
  readonly owner: string
  /** The engine's fencing token: grows every time the lease changes hands or is renewed. */
  readonly token: number
}

/**
 * A storage engine for entity state and leases. Every method may reject: with a
 * `TroupeError` coded `STORAGE` when the engine is unreachable or fails, `CLOSED`
 * after `close()`, `BAD_ARGUMENT` for a bad `ttlMs` or `revision`.
 */
export interface Storage {
  /**
   * Takes the lease on `key` for `owner` for `ttlMs`, when nobody holds it, its
   * holder let it expire or released it, or `owner` holds it already (then it is
   * renewed, and the returned lease replaces the one held before). Resolves with
   * the lease, or `undefined` while another owner holds it.
   */
  acquire(key: string, owner: string, ttlMs: number): Promise<Lease | undefined>
  /**
   * Extends a held lease to `ttlMs` from now and resolves with its successor (a new
   * token); `undefined` if it was lost: it expired, was released, or changed hands
   * (then `acquire` again). A lease that expired is lost even if nobody took it yet.
   */
  renew(lease: Lease, ttlMs: number): Promise<Lease | undefined>
  /**
   * Optional: renews many leases at once (as `renew` does each), for an engine
   * that can do it in one go, e.g. one transaction. A node hosting thousands
   * of entities renews them all every third of their lease: without this, that
   * is a call per lease.
   */
  renewAll?(leases: readonly Lease[], ttlMs: number): Promise<Array<Lease | undefined>>
  /** Gives the lease up, if it is still held by this lease's owner and token; otherwise does nothing. */
  release(lease: Lease): Promise<void>
  /** The value stored under `key`, with its revision; `undefined` if none. */
  read(key: string): Promise<Stored | undefined>
  /**
   * Writes `value` under `key` if its revision is still `revision` (`0`: the key
   * must be absent). Resolves with the new revision, or `undefined` when the
   * revision moved on (someone else wrote): nothing is written then.
   */
  write(key: string, value: Uint8Array, revision: number): Promise<number | undefined>
  /** Closes connections and files. Idempotent. */
  close(): Promise<void>
}
