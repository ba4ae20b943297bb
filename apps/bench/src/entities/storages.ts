/**
 * The storage engines of a run, set up and torn down by the driver: a SQLite
 * file in a new temporary directory, or a bucket on a real `nats-server -js`
 * started on a free port with a temporary store directory (the integration
 * tests' starter, loaded at run time like `soak`'s chaos driver).
 */
import { mkdtempSync, rmSync } from 'node:fs'
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
    return {
      spec: { engine, file },
      description: `SQLite file ${file} (WAL, synchronous = FULL)`,
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
