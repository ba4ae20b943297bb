/**
 * The storage a benchmark cluster's hubs share, as it crosses IPC: a SQLite
 * file on this machine, or a bucket on a NATS server.
 */
import { natsStorage, type Storage, sqliteStorage } from '@troupe/node'

/** Where the hubs keep entity state and leases. */
export type StorageSpec =
  | { engine: 'sqlite'; file: string }
  | { engine: 'nats'; servers: string; bucket: string; leaseTtlMs: number }

/** The engines compared. */
export type StorageEngineName = StorageSpec['engine']

/** Opens `spec` in this process. */
export function openStorage(spec: StorageSpec): Storage {
  return spec.engine === 'sqlite'
    ? sqliteStorage(spec.file)
    : natsStorage({ servers: spec.servers, bucket: spec.bucket, leaseTtlMs: spec.leaseTtlMs })
}
