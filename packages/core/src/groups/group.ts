import type { ActorRef, AskOptions, SendOptions } from '../actor/actorRef.js'
import type { Address } from '../address.js'
import { isTroupeError, type TroupeError } from '../errors.js'
import type { FanOutSpan } from '../tracing/tracing.js'
import { type GroupStrategy, pick } from './strategies.js'

/** Options of `node.group(name, options)`. */
export interface GroupOptions<M = unknown> {
  /** How `send` and `ask` pick a member. @default 'least-loaded' */
  strategy?: GroupStrategy
  /** The key of a message, for `consistent-hash`: messages with one key go to one member. */
  key?: (message: M) => string
}

/** Options of a group's `ask`. */
export interface GroupAskOptions extends AskOptions {
  /**
   * When the member asked is gone (its node down, or it stopped) before it
   * answered, ask another member, within the same `timeoutMs`. The member
   * that was gone may have done the work already: with failover a message is
   * handled at least once, not exactly once. @default true
   */
  failover?: boolean
}

/** What `askAll` gathered: an answer or an error from every member, never all-or-nothing. */
export interface GroupReplies<M = unknown, R = unknown> {
  replies: Array<{ from: ActorRef<M, R>; value: R }>
  failures: Array<{ from: ActorRef<M, R>; error: TroupeError }>
}

/**
 * A group of actors anywhere in the cluster, by name: actors join with
 * `ctx.join(name)` (or `node.join(name, ref)`) and leave when they stop or
 * their node goes down. Any node, a tab included, can call a group.
 */
export interface Group<M = unknown, R = unknown> {
  readonly name: string
  /** Sends to one member, picked by the group's strategy; no member → a `no-members` dead letter. */
  send(message: M, options?: SendOptions): boolean
  /**
   * Asks one member, picked by the group's strategy; when that member is gone
   * before answering, another (see {@link GroupAskOptions.failover}). Rejects
   * with `NO_MEMBERS` when the group has none.
   */
  ask(message: M, options?: GroupAskOptions): Promise<R>
  /** Sends to every member; returns how many that is. */
  broadcast(message: M, options?: SendOptions): number
  /**
   * Asks every member at once, and resolves when each has answered or failed:
   * a member whose node is down fails at once (`NODE_DOWN`), not at the timeout.
   */
  askAll(message: M, options?: AskOptions): Promise<GroupReplies<M, R>>
  /** The members now, on nodes that are up. */
  members(): ActorRef<M, R>[]
}

/** What a group needs from its node. @internal */
export interface GroupHost {
  readonly askTimeoutMs: number
  now(): number
  random(): number
  /** The group's members on nodes that are up, sorted; waits a little on a client that has just asked to hear of the group. */
  members(group: string): Address[]
  membersSoon(group: string): Promise<Address[]>
  ref(address: Address): ActorRef
  /** How busy `member` is: asks from here in flight, and its mailbox depth as last reported. */
  load(member: Address): number
  inFlight(member: Address, delta: 1 | -1): void
  /** Whether asks to the node of `member` fail fast now (its circuit is open). */
  refuses(member: Address): boolean
  send(member: Address, message: unknown, options: SendOptions | undefined, fanOut?: FanOutSpan): boolean
  ask(member: Address, message: unknown, options: AskOptions, fanOut?: FanOutSpan): Promise<unknown>
  /** A span the messages of a fan-out link to, when tracing within a trace. */
  fanOut(kind: 'broadcast' | 'askAll', group: string): FanOutSpan | undefined
  /** A `no-members` dead letter; the error to reject with. */
  noMembers(group: string, message: unknown): TroupeError
}

/** Reasons a member did not handle a message, after which another may. */
const GONE = new Set(['node-down', 'no-such-node', 'no-such-actor', 'stopped', 'circuit-open'])

/** @internal */
export class GroupHandle implements Group {
  private turn = 0

  constructor(
    readonly name: string,
    private readonly host: GroupHost,
    private readonly strategy: GroupStrategy,
    private readonly key: ((message: unknown) => string) | undefined,
  ) {}

  send(message: unknown, options?: SendOptions): boolean {
    const member = this.pick(this.host.members(this.name), message, undefined)
    if (member === undefined) {
      this.host.noMembers(this.name, message)
      return false
    }
    return this.host.send(member, message, options)
  }

  async ask(message: unknown, options?: GroupAskOptions): Promise<unknown> {
    const timeoutMs = options?.timeoutMs ?? this.host.askTimeoutMs
    const deadline = this.host.now() + timeoutMs
    const failover = options?.failover !== false
    const tried = new Set<Address>()
    let members = await this.host.membersSoon(this.name)
    for (;;) {
      const member = this.pick(members, message, tried)
      if (member === undefined) throw this.host.noMembers(this.name, message)
      tried.add(member)
      this.host.inFlight(member, 1)
      try {
        return await this.host.ask(member, message, {
          ...options,
          timeoutMs: Math.max(1, deadline - this.host.now()),
        })
      } catch (error) {
        const gone = isTroupeError(error) && error.reason !== undefined && GONE.has(error.reason)
        const untried = this.host.members(this.name).filter((m) => !tried.has(m))
        if (!failover || !gone || untried.length === 0 || this.host.now() >= deadline) throw error
        members = untried
      } finally {
        this.host.inFlight(member, -1)
      }
    }
  }

  broadcast(message: unknown, options?: SendOptions): number {
    const members = this.host.members(this.name)
    const fanOut = this.host.fanOut('broadcast', this.name)
    for (const member of members) this.host.send(member, message, options, fanOut)
    fanOut?.end()
    return members.length
  }

  async askAll(message: unknown, options?: AskOptions): Promise<GroupReplies> {
    const members = await this.host.membersSoon(this.name)
    const timeoutMs = options?.timeoutMs ?? this.host.askTimeoutMs
    const results: GroupReplies = { replies: [], failures: [] }
    const fanOut = this.host.fanOut('askAll', this.name)
    await Promise.all(
      members.map(async (member) => {
        const from = this.host.ref(member)
        this.host.inFlight(member, 1)
        try {
          results.replies.push({
            from,
            value: await this.host.ask(member, message, { ...options, timeoutMs }),
          })
        } catch (error) {
          results.failures.push({ from, error: error as TroupeError })
        } finally {
          this.host.inFlight(member, -1)
        }
      }),
    )
    fanOut?.end()
    return results
  }

  members(): ActorRef[] {
    return this.host.members(this.name).map((member) => this.host.ref(member))
  }

  /** A member for `message`, not one of `skip`, and not one whose node fails asks fast now if another will do. */
  private pick(
    members: readonly Address[],
    message: unknown,
    skip: ReadonlySet<Address> | undefined,
  ): Address | undefined {
    let candidates = skip === undefined ? members : members.filter((member) => !skip.has(member))
    const open = candidates.filter((member) => !this.host.refuses(member))
    if (open.length > 0) candidates = open
    if (candidates.length === 0) return undefined
    const key = this.strategy === 'consistent-hash' ? this.key?.(message) : undefined
    return pick(this.strategy, candidates, this.turn++, key, {
      load: (member) => this.host.load(member),
      random: () => this.host.random(),
    })
  }
}
