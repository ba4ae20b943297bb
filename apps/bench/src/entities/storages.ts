/**
 * The storage engines of a run, set up and torn down by the driver: a SQLite
 * file in a new temporary directory, or a bucket on a real `nats-server -js`
 * started on a free port with a temporary store directory (the integration
 * tests' starter, loaded at run time like `soak`'s chaos driver).
 */
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { StorageEngineName, StorageSpec } from './storageSpec.js'

const NATS_STARTER = new URL('../../../../packages/node/test/support/natsServer.ts', import.meta.url).href

interface NatsServer {
  readonly url: string
  stop(): Promise<void>
}

interface NatsStarter {
  startNatsServer(options?: { port?: number; storeDir?: string }): Promise<NatsServer>
}

/** A storage ready for hubs to share, and how to remove it. */
export interface PreparedStorage {
  readonly spec: StorageSpec
  /** What it is, for reports: the file, or the server and its version. */
  readonly description: string
  /** SQLite: what one 4 KiB write and fsync cost in its directory just before (ms): the floor of a saved change. */
  readonly fsyncMs?: { p50: number; p99: number; max: number }
  dispose(): Promise<void>
}

let buckets = 0

/**
 * Prepares `engine` for hubs whose entities hold leases of `leaseMs` (a NATS
 * lease bucket's TTL is set to it, as docs/storage.md advises).
 */
export async function prepareStorage(engine: StorageEngineName, leaseMs: number): Promise<PreparedStorage> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'troupe-bench-'))
    const file = join(dir, 'troupe.db')
    const fsyncMs = probeFsync(join(dir, 'probe'))
    return {
      spec: { engine, file },
      fsyncMs,
      description: `SQLite file ${file} (WAL, synchronous = FULL); a 4 KiB write + fsync there: p50 ${fsyncMs.p50.toFixed(2)}, p99 ${fsyncMs.p99.toFixed(2)}, max ${fsyncMs.max.toFixed(2)} ms`,
      async dispose() {
        rmSync(dir, { recursive: true, force: true })
      },
    }
  }
  const { startNatsServer } = (await import(NATS_STARTER)) as NatsStarter
  const server = await startNatsServer()
  return {
    spec: { engine, servers: server.url, bucket: `bench${++buckets}`, leaseTtlMs: leaseMs },
    description: `nats-server -js at ${server.url} (temporary store directory), lease bucket TTL ${leaseMs} ms`,
    dispose: () => server.stop(),
  }
}

/** Times `count` appends of 4 KiB, each followed by fsync, to `file` (then removed). */
function probeFsync(file: string, count = 50): { p50: number; p99: number; max: number } {
  const block = new Uint8Array(4_096)
  const times: number[] = []
  const fd = openSync(file, 'w')
  try {
    for (let i = 0; i < count; i++) {
      const startedAt = performance.now()
      writeSync(fd, block)
      fsyncSync(fd)
      times.push(performance.now() - startedAt)
    }
  } finally {
    closeSync(fd)
    rmSync(file, { force: true })
  }
  times.sort((a, b) => a - b)
  const at = (p: number) => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)]!
  return { p50: at(50), p99: at(99), max: times[times.length - 1]! }
}
