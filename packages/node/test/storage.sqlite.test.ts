// SQLite storage beyond the shared contract: two real processes on one file, WAL on
// disk, a lock held too long, a path that cannot be opened.
import { type ChildProcess, fork } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isTroupeError, sqliteStorage } from '@troupe/node'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

const WORKER = fileURLToPath(new URL('./support/sqliteWorker.mjs', import.meta.url))
const range = (n: number) => Array.from({ length: n }, (_, i) => i)

interface Worker {
  request<T>(command: Record<string, unknown>): Promise<T>
  child: ChildProcess
}

let dir = ''
const children: ChildProcess[] = []
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'troupe-sqlite-'))
})
afterEach(async () => {
  await Promise.all(
    children.splice(0).map(async (child) => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGKILL')
        await exited
      }
    }),
  )
  rmSync(dir, { recursive: true, force: true })
})

/** Forks a process that will open a sqliteStorage; resolves once it runs. */
async function forkWorker(): Promise<Worker> {
  const child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  children.push(child)
  const next = () =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      child.once('message', (message: Record<string, unknown>) =>
        message.error ? reject(new Error(String(message.error))) : resolve(message),
      )
      child.once('exit', (code) => reject(new Error(`sqlite worker exited with ${code}`)))
    })
  await next()
  const worker: Worker = {
    child,
    request: <T>(command: Record<string, unknown>) => {
      const reply = next()
      child.send(command)
      return reply as Promise<T>
    },
  }
  return worker
}

/** Forks `count` processes, then has them all open `file` at the same moment. */
async function startWorkers(count: number, file: string): Promise<Worker[]> {
  const workers = await Promise.all(range(count).map(forkWorker))
  const startAt = Date.now() + 50
  await Promise.all(workers.map((worker) => worker.request({ cmd: 'open', file, startAt })))
  return workers
}

describe('sqliteStorage across processes and on disk', () => {
  it('opens in every one of several processes that create the same new file at the same moment', async () => {
    for (const round of range(5)) {
      const file = join(dir, `new-${round}.db`)
      const workers = await startWorkers(6, file)
      await Promise.all(workers.map((worker) => worker.request({ cmd: 'close' })))
    }
  })

  it('loses no update when two processes increment one counter with revisioned writes', async () => {
    const file = join(dir, 'shared.db')
    const workers = await startWorkers(2, file)
    const times = 300
    const startAt = Date.now() + 100
    const results = await Promise.all(
      workers.map((worker) =>
        worker.request<{ conflicts: number }>({ cmd: 'increment', key: 'counter', times, startAt }),
      ),
    )
    console.log(`refused writes (the other process won): ${results.map((r) => r.conflicts).join(', ')}`)
    await Promise.all(workers.map((worker) => worker.request({ cmd: 'close' })))
    const storage = sqliteStorage(file)
    const stored = await storage.read('counter')
    await storage.close()
    expect(new TextDecoder().decode(stored?.value)).toBe(String(2 * times))
    expect(stored?.revision).toBe(2 * times)
  })

  it('gives each lease to exactly one of two processes racing for the same keys', async () => {
    const file = join(dir, 'shared.db')
    const workers = await startWorkers(2, file)
    const keys = range(200).map((i) => `entity-${i}`)
    const startAt = Date.now() + 100
    const [first, second] = await Promise.all(
      workers.map((worker, i) =>
        // opposite orders: each process wins some keys and they meet, racing, in the middle
        worker.request<{ won: string[] }>({
          cmd: 'acquire',
          keys: i === 0 ? keys : [...keys].reverse(),
          owner: `p${i}`,
          startAt,
        }),
      ),
    )
    console.log(`leases won: ${first!.won.length} and ${second!.won.length}`)
    expect([...first!.won, ...second!.won].sort()).toEqual([...keys].sort())
    const storage = sqliteStorage(file)
    for (const key of keys) expect(await storage.acquire(key, 'parent', 1_000)).toBeUndefined()
    await storage.close()
  })

  it('creates the directory, keeps the file in WAL mode, and finds the state again after a reopen', async () => {
    const file = join(dir, 'a', 'b', 'troupe.db')
    const storage = sqliteStorage(file)
    const revision = await storage.write('k', new Uint8Array([1, 2]), 0)
    await storage.close()
    const raw = new Database(file, { readonly: true })
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal')
    raw.close()
    const reopened = sqliteStorage(file)
    expect(await reopened.read('k')).toEqual({ value: new Uint8Array([1, 2]), revision })
    await reopened.close()
  })

  it('rejects with STORAGE when another connection holds the write lock longer than busyTimeoutMs', async () => {
    const file = join(dir, 'locked.db')
    const storage = sqliteStorage(file, { busyTimeoutMs: 100 })
    await storage.write('k', new Uint8Array([1]), 0)
    const other = new Database(file)
    other.exec('BEGIN IMMEDIATE')
    const error = await storage.write('k', new Uint8Array([2]), 1).catch((e: unknown) => e)
    expect(isTroupeError(error, 'STORAGE')).toBe(true)
    expect(String((error as Error).message)).toContain(file)
    expect(await storage.read('k')).toMatchObject({ revision: 1 }) // readers are not blocked in WAL mode
    other.exec('ROLLBACK')
    other.close()
    expect(await storage.write('k', new Uint8Array([2]), 1)).toBe(2)
    await storage.close()
  })

  it('throws STORAGE naming the path when the file cannot be opened', () => {
    const notADirectory = join(dir, 'file')
    writeFileSync(notADirectory, '')
    const path = join(notADirectory, 'troupe.db')
    expect(() => sqliteStorage(path)).toThrow(expect.objectContaining({ code: 'STORAGE' }))
    expect(() => sqliteStorage(path)).toThrow(path)
  })
})
