import type { SupervisionOptions } from './supervision.js'

/** Options of `spawn`. */
export interface SpawnOptions {
  mailbox?: {
    /** Messages queued before overflow becomes `queue-full` dead letters. @default 10_000 */
    capacity?: number
  }
  supervision?: SupervisionOptions
}
