import type { ActorRef, AskOptions, SendOptions } from '../actor/actorRef.js'
import type { DeadLetterReason } from '../actor/deadLetter.js'
import type { Letter } from '../actor/letter.js'
import type { Address } from '../address.js'
import type { Clock } from '../clock.js'
import { TroupeError } from '../errors.js'
import type { FanOutSpan } from '../tracing/tracing.js'
import { type Group, GroupHandle, type GroupHost, type GroupOptions } from './group.js'
import { GroupDirectory, type NodeGroups } from './groupDirectory.js'
import { assertGroupName } from './names.js'
import { OwnGroups } from './ownGroups.js'
import { GROUP_STRATEGIES } from './strategies.js'

/** Most groups `node.metrics().groups` lists. */
const MAX_GROUPS_REPORTED = 100
/** Most actors a heartbeat reports the load of. */
const MAX_LOAD_REPORTED = 64

/** What groups need from their node. @internal */
export interface GroupsNode {
  readonly id: string
  readonly incarnation: number
  readonly clock: Clock
  readonly askTimeoutMs: number
  /** How long a client waits for its hub to tell it of a group's members before it finds none. */
  readonly graceMs: number
  /** Whether this node is a client (it knows only the groups it watches). */
  readonly isClient: boolean
  random(): number
  isUp(node: string): boolean
  /** Spreads this node's own list, which touched (joined or left) `touched`. */
  publish(list: NodeGroups, touched: Set<string>): void
  /** A client wants to hear of `group` from its hub. */
  watch(group: string): void
  /** Messages waiting in local actor `name`'s mailbox (undefined: no such actor). */
  mailboxDepth(name: string): number | undefined
  /** The mailbox depth `node` last reported for its actor `name`. */
  reportedLoad(node: string, name: string): number
  refuses(node: string): boolean
  ref(address: Address): ActorRef
  send(address: Address, message: unknown, options: SendOptions | undefined, fanOut?: FanOutSpan): boolean
  ask(address: Address, message: unknown, options: AskOptions, fanOut?: FanOutSpan): Promise<unknown>
  /** A span for a fan-out, when tracing within a trace. */
  fanOut(kind: 'broadcast' | 'askAll', group: string): FanOutSpan | undefined
  deadLetter(letter: Letter, reason: DeadLetterReason, detail?: string): void
}

/**
 * Groups on one node: the directory of who is in which group, this node's
 * own memberships, and the handles callers use to reach a group.
 * @internal
 */
export class Groups {
  readonly directory = new GroupDirectory()
  private readonly own: OwnGroups
  /** This node's asks in flight, by member. */
  private readonly inFlight = new Map<Address, number>()
  /** When this client first asked to hear of each group. */
  private readonly watched = new Map<string, number>()
  private readonly host: GroupHost

  constructor(private readonly node: GroupsNode) {
    this.own = new OwnGroups(node.id, node.incarnation, (list) => {
      const touched = this.directory.apply(list)
      if (touched !== undefined) node.publish(list, touched)
    })
    this.host = {
      askTimeoutMs: node.askTimeoutMs,
      now: () => node.clock.now(),
      random: () => node.random(),
      members: (group) => this.members(group),
      membersSoon: (group) => this.membersSoon(group),
      ref: (address) => node.ref(address),
      load: (member) => this.load(member),
      inFlight: (member, delta) => {
        const count = (this.inFlight.get(member) ?? 0) + delta
        if (count <= 0) this.inFlight.delete(member)
        else this.inFlight.set(member, count)
      },
      refuses: (member) => node.refuses(nodeOf(member)),
      send: (member, message, options, fanOut) => node.send(member, message, options, fanOut),
      ask: (member, message, options, fanOut) => node.ask(member, message, options, fanOut),
      fanOut: (kind, group) => node.fanOut(kind, group),
      noMembers: (group, message) => {
        const error = new TroupeError('NO_MEMBERS', `group "${group}" has no members`, {
          reason: 'no-members',
        })
        node.deadLetter(
          { to: `${group}@group`, from: undefined, message, askId: 0, origin: node.id },
          'no-members',
        )
        return error
      },
    }
  }

  group(name: string, options: GroupOptions | undefined): Group {
    assertGroupName(name)
    const strategy = options?.strategy ?? 'least-loaded'
    if (!GROUP_STRATEGIES.includes(strategy)) {
      throw new TroupeError(
        'BAD_ARGUMENT',
        `bad strategy ${JSON.stringify(strategy)}: use one of ${GROUP_STRATEGIES.join(', ')}`,
      )
    }
    if (strategy === 'consistent-hash' && typeof options?.key !== 'function') {
      throw new TroupeError('BAD_ARGUMENT', `group "${name}": 'consistent-hash' needs a key function`)
    }
    if (this.node.isClient && !this.watched.has(name)) {
      this.watched.set(name, this.node.clock.now())
      this.node.watch(name)
    }
    return new GroupHandle(name, this.host, strategy, options?.key)
  }

  join(group: string, actor: string): void {
    assertGroupName(group)
    this.own.join(group, actor)
  }

  leave(group: string, actor: string): void {
    assertGroupName(group)
    this.own.leave(group, actor)
  }

  /** `actor` stopped. */
  stopped(actor: string): void {
    this.own.leaveAll(actor)
  }

  /** This node's list of memberships now. */
  ownList(): NodeGroups {
    return this.own.list()
  }

  /** The groups this client watches. */
  watchedGroups(): string[] {
    return [...this.watched.keys()]
  }

  /** The groups known here with their members on nodes that are up: the first `limit` by name. */
  counts(limit = MAX_GROUPS_REPORTED): Record<string, number> {
    const names = [...this.directory.groups()]
      .map(([name]) => name)
      .sort()
      .slice(0, limit)
    const counts = Object.create(null) as Record<string, number>
    for (const name of names) counts[name] = this.members(name).length
    return counts
  }

  /** For heartbeats: `[actor, depth, ...]` of this node's group members with mail waiting. */
  loadReport(): (string | number)[] {
    const report: (string | number)[] = []
    for (const actor of this.own.actors()) {
      const depth = this.node.mailboxDepth(actor) ?? 0
      if (depth > 0) report.push(actor, depth)
      if (report.length >= MAX_LOAD_REPORTED * 2) break
    }
    return report
  }

  private members(group: string): Address[] {
    const members: Address[] = []
    for (const [address, node] of this.directory.membersOf(group))
      if (this.node.isUp(node)) members.push(address)
    return members.sort()
  }

  /** The members; on a client that has only just asked its hub of the group, once they are known (or the grace is over). */
  private async membersSoon(group: string): Promise<Address[]> {
    const until = (this.watched.get(group) ?? 0) + this.node.graceMs
    let members = this.members(group)
    while (members.length === 0 && this.node.clock.now() < until) {
      await new Promise<void>((resolve) => this.node.clock.setTimeout(resolve, 20))
      members = this.members(group)
    }
    return members
  }

  private load(member: Address): number {
    const at = member.lastIndexOf('@')
    const name = member.slice(0, at)
    const node = member.slice(at + 1)
    const waiting =
      node === this.node.id ? (this.node.mailboxDepth(name) ?? 0) : this.node.reportedLoad(node, name)
    return (this.inFlight.get(member) ?? 0) + waiting
  }
}

const nodeOf = (address: Address): string => address.slice(address.lastIndexOf('@') + 1)
