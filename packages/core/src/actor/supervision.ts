import type { Clock } from '../clock.js'
import { DEFAULTS } from '../defaults.js'

/**
 * What happens to an actor whose handler throws:
 * - `restart`: a fresh behavior from the factory, children stopped, mailbox kept;
 * - `resume`: keep the behavior and its state, go on with the next message;
 * - `stop`: stop the actor; its queued messages become `stopped` dead letters.
 */
export type SupervisionStrategy = 'restart' | 'resume' | 'stop'

export interface SupervisionOptions {
  /** @default 'restart' */
  strategy?: SupervisionStrategy
  /** Restarts allowed within `withinMs`; one more stops the actor. @default 10 */
  maxRestarts?: number
  /** The window for `maxRestarts`. @default 60_000 */
  withinMs?: number
}

/**
 * Decides, failure by failure, what to do, counting restarts in a sliding window.
 * @internal
 */
export class Supervisor {
  private readonly strategy: SupervisionStrategy
  private readonly maxRestarts: number
  private readonly withinMs: number
  private restarts: number[] = []

  constructor(
    options: SupervisionOptions | undefined,
    private readonly clock: Clock,
  ) {
    this.strategy = options?.strategy ?? DEFAULTS.supervision.strategy
    this.maxRestarts = options?.maxRestarts ?? DEFAULTS.supervision.maxRestarts
    this.withinMs = options?.withinMs ?? DEFAULTS.supervision.withinMs
  }

  decide(): SupervisionStrategy {
    if (this.strategy !== 'restart') return this.strategy
    const now = this.clock.now()
    this.restarts = this.restarts.filter((t) => now - t < this.withinMs)
    if (this.restarts.length >= this.maxRestarts) return 'stop'
    this.restarts.push(now)
    return 'restart'
  }
}
