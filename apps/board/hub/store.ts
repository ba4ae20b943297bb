import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'

/** Options of {@link createSnapshotStore}. */
export interface SnapshotStoreOptions {
  /** The data directory; made if missing. */
  dir: string
  /** The snapshot's file name in `dir`. @default 'board.json' */
  file?: string
  /** Quiet time after a change before it is written. @default 150 */
  debounceMs?: number
  /** Longest a change waits while changes keep coming. @default 1_000 */
  maxWaitMs?: number
  /** A write failed (it is retried with the next change, or by `flush`). @default console.error */
  onError?: (error: unknown) => void
}

/**
 * One JSON document on disk, replaced atomically: it is written to a temporary
 * file in the same directory, flushed to the disk, and renamed over the old one,
 * so a crash at any moment leaves either the old snapshot or the new one, never
 * half of one.
 */
export interface SnapshotStore<T> {
  /** The file's path. */
  readonly path: string
  /** The last snapshot written, or undefined if there is none yet. Throws if the file is not JSON. */
  load(): Promise<T | undefined>
  /**
   * Writes `produce()` soon (debounced; `produce` is called at write time, so
   * it writes the latest state). Resolves with what was written once a write
   * that includes this change is on disk.
   */
  save(produce: () => T): Promise<T>
  /** Writes now if a save is waiting; resolves when nothing is left to write. */
  flush(): Promise<void>
  /** Flushes, then refuses further saves. */
  close(): Promise<void>
}

interface Waiter<T> {
  resolve(value: T): void
  reject(error: unknown): void
}

export function createSnapshotStore<T>(options: SnapshotStoreOptions): SnapshotStore<T> {
  const { dir, file = 'board.json', debounceMs = 150, maxWaitMs = 1_000 } = options
  const onError = options.onError ?? ((error: unknown) => console.error('[store] write failed:', error))
  const path = join(dir, file)
  let produce: (() => T) | undefined
  let waiters: Waiter<T>[] = []
  let timer: NodeJS.Timeout | undefined
  let firstChangeAt = 0
  let writing: Promise<void> | undefined
  let closed = false
  let tmpCounter = 0

  /** Starts writing the waiting change, if any and no write is under way. */
  const startWrite = (): void => {
    if (writing !== undefined || produce === undefined) return
    const current = produce
    const settling = waiters
    produce = undefined
    waiters = []
    // in a microtask, so that `writing` is set before any of it runs
    writing = Promise.resolve().then(async () => {
      try {
        const value = current()
        await writeAtomically(dir, path, `${JSON.stringify(value)}\n`, ++tmpCounter)
        for (const waiter of settling) waiter.resolve(value)
      } catch (error) {
        onError(error)
        for (const waiter of settling) waiter.reject(error)
      } finally {
        writing = undefined
        // a change made during the write: its own timer may have fired while this one ran
        if (produce !== undefined && timer === undefined) startWrite()
      }
    })
  }

  /** Writes what is waiting now, and resolves once nothing is waiting or being written. */
  const writeNow = async (): Promise<void> => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    while (writing !== undefined || produce !== undefined) {
      startWrite()
      await writing
    }
  }

  const schedule = (): void => {
    const now = Date.now()
    if (timer === undefined) firstChangeAt = now
    else clearTimeout(timer)
    const wait = Math.max(0, Math.min(debounceMs, firstChangeAt + maxWaitMs - now))
    timer = setTimeout(() => {
      timer = undefined
      startWrite()
    }, wait)
  }

  return {
    path,
    async load() {
      await mkdir(dir, { recursive: true })
      await removeLeftovers(dir, file)
      let text: string
      try {
        text = await readFile(path, 'utf8')
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw error
      }
      try {
        return JSON.parse(text) as T
      } catch (error) {
        throw new Error(`${path} is not valid JSON (move it away to start with an empty board)`, {
          cause: error,
        })
      }
    },
    save(next) {
      if (closed) return Promise.reject(new Error('the store is closed'))
      produce = next
      const written = new Promise<T>((resolve, reject) => waiters.push({ resolve, reject }))
      schedule()
      return written
    },
    async flush() {
      await writeNow()
    },
    async close() {
      await writeNow()
      closed = true
    },
  }
}

async function writeAtomically(dir: string, path: string, text: string, counter: number): Promise<void> {
  const tmp = `${path}.${process.pid}.${counter}.tmp`
  const handle = await open(tmp, 'w')
  try {
    await handle.writeFile(text, 'utf8')
    // on disk before the rename, or a crash could leave the new name pointing at empty data
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await rename(tmp, path)
  } catch (error) {
    await unlink(tmp).catch(() => {})
    throw error
  }
  // the rename itself is durable once the directory is synced (not possible on every platform)
  try {
    const directory = await open(dir, 'r')
    try {
      await directory.sync()
    } finally {
      await directory.close()
    }
  } catch {
    // e.g. Windows cannot open a directory: the rename is still atomic, just not yet durable
  }
}

/** Temporary files of a run that died mid-write. */
async function removeLeftovers(dir: string, file: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name.startsWith(`${file}.`) && name.endsWith('.tmp')) await unlink(join(dir, name)).catch(() => {})
  }
}
