import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { type Lease, type Storage, TroupeError } from '@troupe/core'
import Database from 'better-sqlite3'
import { assertDuration, assertRevision } from './checks.js'

/** Options of {@link sqliteStorage}. */
export interface SqliteStorageOptions {
  /**
   * How long a call waits for another connection (another process) to finish its
   * transaction (SQLite's `busy_timeout`) before it rejects with `STORAGE`.
   * @default 5_000
   */
  busyTimeoutMs?: number
}

const DEFAULT_BUSY_TIMEOUT_MS = 5_000

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS troupe_state (
    key TEXT PRIMARY KEY, value BLOB NOT NULL, revision INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS troupe_leases (
    key TEXT PRIMARY KEY, owner TEXT, token INTEGER NOT NULL, expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
`

interface StateRow {
  value: Buffer
  revision: number
}

interface LeaseRow {
  /** `null` once released; the row stays so the key's tokens keep growing. */
  owner: string | null
  token: number
  expiresAt: number
}

/**
 * A {@link Storage} in one SQLite file (WAL mode), shared safely by every process
 * on this machine that opens the same file: each acquire, renew and write is one
 * `IMMEDIATE` transaction, and lease expiry is read from the wall clock
 * (`Date.now()`), which those processes share. Creates the file and its directory
 * if missing. A write is on disk when it resolves (`synchronous = FULL`). Not for
 * several machines, nor for a network file system: use `natsStorage` there.
 *
 * SQLite calls are synchronous: each call holds the event loop for its
 * transaction, and while another process holds the write lock, for up to
 * `busyTimeoutMs`.
 *
 * @example
 * ```ts
 * const storage = sqliteStorage('./data/troupe.db')
 * const lease = await storage.acquire('cart:42', 'n1', 5_000)
 * const revision = await storage.write('cart:42', new Uint8Array([1]), 0)
 * ```
 */
export function sqliteStorage(file: string, options: SqliteStorageOptions = {}): Storage & AsyncDisposable {
  const db = open(file, options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS)
  const readState = db.prepare<[string], StateRow>('SELECT value, revision FROM troupe_state WHERE key = ?')
  const insertState = db.prepare<[string, Buffer]>(
    'INSERT INTO troupe_state (key, value, revision) VALUES (?, ?, 1) ON CONFLICT (key) DO NOTHING',
  )
  const updateState = db.prepare<[Buffer, string, number]>(
    'UPDATE troupe_state SET value = ?, revision = revision + 1 WHERE key = ? AND revision = ?',
  )
  const readLease = db.prepare<[string], LeaseRow>(
    'SELECT owner, token, expires_at AS expiresAt FROM troupe_leases WHERE key = ?',
  )
  const putLease = db.prepare<[string, string, number, number]>(
    `INSERT INTO troupe_leases (key, owner, token, expires_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, token = excluded.token, expires_at = excluded.expires_at`,
  )
  const releaseLease = db.prepare<[string, string, number]>(
    'UPDATE troupe_leases SET owner = NULL WHERE key = ? AND owner = ? AND token = ?',
  )

  const grant = (key: string, owner: string, token: number, ttlMs: number): Lease => {
    putLease.run(key, owner, token, Math.ceil(Date.now() + ttlMs))
    return { key, owner, token }
  }
  const acquire = db.transaction((key: string, owner: string, ttlMs: number): Lease | undefined => {
    const row = readLease.get(key)
    if (row && row.owner !== null && row.owner !== owner && row.expiresAt > Date.now()) return undefined
    return grant(key, owner, (row?.token ?? 0) + 1, ttlMs)
  })
  const renew = db.transaction((lease: Lease, ttlMs: number): Lease | undefined => {
    const row = readLease.get(lease.key)
    const held = row?.owner === lease.owner && row.token === lease.token && row.expiresAt > Date.now()
    return held ? grant(lease.key, lease.owner, lease.token + 1, ttlMs) : undefined
  })
  // one transaction (one lock, one sync) for every lease a node holds, however many
  const renewAll = db.transaction(
    (leases: readonly Lease[], ttlMs: number): Array<Lease | undefined> =>
      leases.map((lease) => renew(lease, ttlMs)),
  )
  const write = db.transaction((key: string, value: Buffer, revision: number): number | undefined => {
    const written = revision === 0 ? insertState.run(key, value) : updateState.run(value, key, revision)
    return written.changes === 1 ? revision + 1 : undefined
  })

  let closed = false
  /** Runs one call against the database, turning SQLite's errors into `STORAGE` errors that name the file. */
  const call = <T>(what: string, run: () => T): T => {
    if (closed) throw new TroupeError('CLOSED', `sqlite storage "${file}" is closed`)
    try {
      return run()
    } catch (error) {
      if (error instanceof TroupeError) throw error
      throw new TroupeError('STORAGE', `sqlite storage "${file}": ${what} failed: ${messageOf(error)}`, {
        cause: error,
      })
    }
  }
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    db.close()
  }

  return {
    async acquire(key, owner, ttlMs) {
      assertDuration('ttlMs', ttlMs)
      return call(`acquire "${key}"`, () => acquire.immediate(key, owner, ttlMs))
    },
    async renew(lease, ttlMs) {
      assertDuration('ttlMs', ttlMs)
      return call(`renew "${lease.key}"`, () => renew.immediate(lease, ttlMs))
    },
    async renewAll(leases, ttlMs) {
      assertDuration('ttlMs', ttlMs)
      return call(`renew ${leases.length} leases`, () => renewAll.immediate(leases, ttlMs))
    },
    async release(lease) {
      call(`release "${lease.key}"`, () => releaseLease.run(lease.key, lease.owner, lease.token))
    },
    async read(key) {
      const row = call(`read "${key}"`, () => readState.get(key))
      return row && { value: new Uint8Array(row.value), revision: row.revision }
    },
    async write(key, value, revision) {
      assertRevision(revision)
      const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength)
      return call(`write "${key}"`, () => write.immediate(key, bytes, revision))
    },
    close,
    [Symbol.asyncDispose]: close,
  }
}

function open(file: string, busyTimeoutMs: number): Database.Database {
  assertDuration('busyTimeoutMs', busyTimeoutMs)
  let db: Database.Database | undefined
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
    db = new Database(file, { timeout: busyTimeoutMs })
    // FULL: a write that resolved survives a power cut too (SQLite would use NORMAL on reopened WAL files)
    db.pragma('synchronous = FULL')
    const opened = db
    retryWhileBusy(busyTimeoutMs, () => {
      if (opened.pragma('journal_mode', { simple: true }) !== 'wal') opened.pragma('journal_mode = WAL')
      opened.exec(SCHEMA)
    })
    return db
  } catch (error) {
    db?.close()
    throw new TroupeError('STORAGE', `cannot open sqlite storage "${file}": ${messageOf(error)}`, {
      cause: error,
    })
  }
}

/**
 * Runs `setUp` again while it fails with SQLITE_BUSY, up to `busyTimeoutMs`: while another
 * process switches the same new file to WAL, SQLite answers SQLITE_BUSY at once,
 * without waiting for `busy_timeout`.
 */
function retryWhileBusy(busyTimeoutMs: number, setUp: () => void): void {
  const giveUpAt = Date.now() + busyTimeoutMs
  for (;;) {
    try {
      setUp()
      return
    } catch (error) {
      const busy = error instanceof Database.SqliteError && error.code === 'SQLITE_BUSY'
      if (!busy || Date.now() > giveUpAt) throw error
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5) // opening is synchronous: so is this wait
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
