import type { Address } from '../address.js'
import type { Clock, TimerHandle } from '../clock.js'
import { TroupeError } from '../errors.js'

interface Pending {
  resolve(value: unknown): void
  reject(error: Error): void
  timer: TimerHandle
}

/**
 * The asks a node is waiting on, each with its timeout. An ask ends exactly
 * once: replied, failed, timed out, or failed by `failAll` on close.
 * @internal
 */
export class PendingAsks {
  private nextId = 1
  private readonly pending = new Map<number, Pending>()

  constructor(private readonly clock: Clock) {}

  get size(): number {
    return this.pending.size
  }

  open<T>(to: Address, timeoutMs: number): { id: number; promise: Promise<T> } {
    const id = this.nextId++
    const promise = new Promise<T>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.pending.delete(id)
        reject(new TroupeError('ASK_TIMEOUT', `ask to "${to}" got no reply within ${timeoutMs} ms`))
      }, timeoutMs)
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer })
    })
    return { id, promise }
  }

  /** Ends ask `id` with a reply; false if it has already ended. */
  settle(id: number, value: unknown): boolean {
    const entry = this.take(id)
    entry?.resolve(value)
    return entry !== undefined
  }

  /** Ends ask `id` with an error; false if it has already ended. */
  fail(id: number, error: Error): boolean {
    const entry = this.take(id)
    entry?.reject(error)
    return entry !== undefined
  }

  failAll(error: Error): void {
    for (const id of [...this.pending.keys()]) this.fail(id, error)
  }

  private take(id: number): Pending | undefined {
    const entry = this.pending.get(id)
    if (entry === undefined) return undefined
    this.pending.delete(id)
    this.clock.clearTimeout(entry.timer)
    return entry
  }
}
