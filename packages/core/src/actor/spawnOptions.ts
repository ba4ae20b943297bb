import { TroupeError } from '../errors.js'
import { assertPositiveInteger, assertPositiveNumber } from '../validate.js'
import type { SupervisionOptions } from './supervision.js'

/** Options of `spawn`. */
export interface SpawnOptions {
  mailbox?: {
    /** Messages queued before overflow becomes `queue-full` dead letters. @default 10_000 */
    capacity?: number
  }
  supervision?: SupervisionOptions
}

/** @internal */
export function assertBehavior(name: string, behavior: unknown): void {
  if (typeof behavior === 'function') return
  if (typeof (behavior as { receive?: unknown } | null)?.receive !== 'function') {
    throw new TroupeError(
      'BAD_ARGUMENT',
      `bad behavior for "${name}": expected an object with a receive(message, ctx) method, or a function returning one`,
    )
  }
}

/** @internal */
export function assertSpawnOptions(options: SpawnOptions | undefined): void {
  if (options?.mailbox?.capacity !== undefined)
    assertPositiveInteger('mailbox.capacity', options.mailbox.capacity)
  const supervision = options?.supervision
  if (supervision === undefined) return
  const { strategy, maxRestarts, withinMs } = supervision
  if (strategy !== undefined && strategy !== 'restart' && strategy !== 'resume' && strategy !== 'stop') {
    throw new TroupeError(
      'BAD_ARGUMENT',
      `bad supervision.strategy ${JSON.stringify(strategy)}: use "restart", "resume" or "stop"`,
    )
  }
  if (maxRestarts !== undefined && !(Number.isInteger(maxRestarts) && maxRestarts >= 0)) {
    throw new TroupeError(
      'BAD_ARGUMENT',
      `bad supervision.maxRestarts ${maxRestarts}: expected an integer >= 0`,
    )
  }
  if (withinMs !== undefined) assertPositiveNumber('supervision.withinMs', withinMs)
}
