import type { Address } from '../address.js'
import type { Clock, TimerHandle } from '../clock.js'
import { TroupeError } from '../errors.js'
import { randomSmallId } from '../host.js'

/** What an ask to an entity remembers, to be sent again to the entity's next owner. @internal */
export interface EntityAsk {
  readonly kind: string
  readonly key: string
  /** The letter's sender and message (the entity envelope), as first sent. */
  readonly from: Address | undefined
  readonly message: unknown
  /** The trace context it carries, if it was sent within a trace. */
  readonly trace?: string | undefined
}

/** Dead-letter reasons that mean the node asked did not answer (for circuit breakers). */
const UNANSWERED = new Set(['node-down', 'no-such-node', 'ttl-expired', 'queue-full'])

/** How an ask ended, for circuit breakers and metrics. @internal */
export interface AskEnded {
  readonly node: string
  readonly answered: boolean | undefined
  readonly error: TroupeError | undefined
  readonly openedAt: number
}

interface Pending {
  resolve(value: unknown): void
  reject(error: Error): void
  timer: TimerHandle
  /** The address the ask went to, and its node: the only one whose answer settles it. */
  readonly to: Address
  readonly node: string
  /** The asker chose to wait for a node that is down or unknown, rather than fail fast. */
  readonly waitForNode: boolean
  /** For an ask to an entity: what it takes to send it to the entity's next owner. */
  readonly entity: EntityAsk | undefined
  readonly openedAt: number
}

/**
 * The asks a node is waiting on, each with its timeout. An ask ends exactly
 * once: replied, failed, timed out, or failed by `failAll` on close. Ask ids
 * are random (an answer cannot be forged by guessing one), and an answer
 * counts only if it comes from the node the ask went to.
 * @internal
 */
export class PendingAsks {
  private readonly pending = new Map<number, Pending>()
  private readonly byNode = new Map<string, Set<number>>()
  /** An emptied set of `byNode`, kept for the next node asked: one ask at a time then allocates no set. */
  private spare: Set<number> | undefined

  /**
   * @param outcome told how each ask ended: the node asked, whether that node
   * answered (a reply, or an error it sent) or not (a timeout, the node down or
   * unreachable; undefined when neither, as on close), the error if any, and
   * when the ask opened.
   */
  constructor(
    private readonly clock: Clock,
    private readonly outcome?: (ended: AskEnded) => void,
  ) {}

  get size(): number {
    return this.pending.size
  }

  open<T>(
    to: Address,
    node: string,
    timeoutMs: number,
    waitForNode: boolean,
    entity?: EntityAsk,
  ): { id: number; promise: Promise<T> } {
    // 1 to MAX_ASK_ID (which says why), as asks.test.ts checks
    let id = randomSmallId()
    while (this.pending.has(id)) id = randomSmallId()
    const promise = new Promise<T>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        const entry = this.take(id)
        if (entry === undefined) return
        const error = new TroupeError('ASK_TIMEOUT', `ask to "${to}" got no reply within ${timeoutMs} ms`)
        this.ended(entry, false, error)
        reject(error)
      }, timeoutMs)
      this.pending.set(id, {
        resolve: resolve as (value: unknown) => void,
        reject,
        timer,
        to,
        node,
        waitForNode,
        entity,
        openedAt: this.clock.now(),
      })
    })
    this.index(id, node)
    return { id, promise }
  }

  /** The asks to entities now waiting on `node` (`''`: on no node, none hosting the kind being known). */
  entityAsksTo(node: string): Array<{ id: number; entity: EntityAsk }> {
    const found: Array<{ id: number; entity: EntityAsk }> = []
    for (const id of this.byNode.get(node) ?? []) {
      const entity = this.pending.get(id)!.entity
      if (entity !== undefined) found.push({ id, entity })
    }
    return found
  }

  /** Ask `id` now waits on `node` (an entity moved): only that node's answer settles it. */
  retarget(id: number, node: string): void {
    const entry = this.pending.get(id)
    if (entry === undefined) return
    this.unindex(id, entry.node)
    this.pending.set(id, { ...entry, node })
    this.index(id, node)
  }

  /** The node ask `id` went to, while it is pending. */
  nodeOf(id: number): string | undefined {
    return this.pending.get(id)?.node
  }

  /** The address ask `id` went to, while it is pending. */
  addressOf(id: number): Address | undefined {
    return this.pending.get(id)?.to
  }

  /** Ends ask `id` with a reply; false if it has already ended. */
  settle(id: number, value: unknown): boolean {
    const entry = this.take(id)
    if (entry === undefined) return false
    this.ended(entry, true, undefined)
    entry.resolve(value)
    return true
  }

  /** Ends ask `id` with an error; false if it has already ended. */
  fail(id: number, error: Error): boolean {
    const entry = this.take(id)
    if (entry === undefined) return false
    const { reason, code } = error as TroupeError
    const answered =
      reason !== undefined && UNANSWERED.has(reason)
        ? false
        : reason === 'circuit-open' || code === 'CLOSED'
          ? undefined
          : true
    this.ended(entry, answered, error instanceof TroupeError ? error : undefined)
    entry.reject(error)
    return true
  }

  private ended(entry: Pending, answered: boolean | undefined, error: TroupeError | undefined): void {
    this.outcome?.({ node: entry.node, answered, error, openedAt: entry.openedAt })
  }

  /** The asks to `node` that do not wait for it (the ones {@link failTo} would fail). */
  failingTo(node: string): Set<number> {
    const ids = new Set<number>()
    for (const id of this.byNode.get(node) ?? []) if (!this.pending.get(id)!.waitForNode) ids.add(id)
    return ids
  }

  /** Fails the asks to `node` that do not wait for it (it is down, or unknown): `error` says why. */
  failTo(node: string, error: () => Error): void {
    for (const id of [...(this.byNode.get(node) ?? [])]) {
      if (!this.pending.get(id)!.waitForNode) this.fail(id, error())
    }
  }

  failAll(error: Error): void {
    for (const id of [...this.pending.keys()]) this.fail(id, error)
  }

  private take(id: number): Pending | undefined {
    const entry = this.pending.get(id)
    if (entry === undefined) return undefined
    this.pending.delete(id)
    this.unindex(id, entry.node)
    this.clock.clearTimeout(entry.timer)
    return entry
  }

  private index(id: number, node: string): void {
    let ids = this.byNode.get(node)
    if (ids === undefined) {
      ids = this.spare ?? new Set()
      this.spare = undefined
      this.byNode.set(node, ids)
    }
    ids.add(id)
  }

  private unindex(id: number, node: string): void {
    const ids = this.byNode.get(node)
    ids?.delete(id)
    if (ids?.size === 0) {
      this.byNode.delete(node)
      this.spare = ids
    }
  }
}
