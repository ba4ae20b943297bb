/** Options of reconnect backoff. */
export interface BackoffOptions {
  /** The first delay's upper bound. @default 100 */
  initialMs?: number
  /** The cap on any delay. @default 5_000 */
  maxMs?: number
}

/**
 * Exponential backoff with full jitter: attempt n waits a uniform random time
 * in [0, min(max, initial × 2^n)], so reconnecting peers spread out.
 * @internal
 */
export class Backoff {
  private attempt = 0

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly random: () => number,
  ) {}

  next(): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30))
    this.attempt++
    return Math.floor(this.random() * ceiling)
  }

  reset(): void {
    this.attempt = 0
  }
}
