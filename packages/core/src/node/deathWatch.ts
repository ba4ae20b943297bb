import type { Letter } from '../actor/letter.js'
import type { AnyRef } from '../actor/protocol.js'
import type { Address } from '../address.js'

/** Why a watched actor is gone. */
export type TerminatedReason = 'stopped' | 'node-down' | 'node-left' | 'not-found'

/**
 * What a watcher is sent when the actor it watches is gone: it stopped, its
 * node went down or left, or there was no such actor when the watch began.
 * Sent once per watch; the watch then ends.
 */
export interface Terminated {
  readonly type: 'terminated'
  readonly ref: AnyRef
  readonly reason: TerminatedReason
}

/** Most actors of this node that one other node may watch (a tab cannot grow a hub's tables without bound). */
const MAX_WATCHES_PER_NODE = 1_024

/** The name of every node's watch actor: watches between nodes go to it. @internal */
export const WATCH_ACTOR = 'troupe:watch'

/** What watches between nodes say, to `troupe:watch@<node>`. */
type WatchMessage =
  | { readonly watch: string }
  | { readonly unwatch: string }
  | { readonly terminated: Address; readonly reason: TerminatedReason }

/** What death watch needs from its node. @internal */
export interface DeathWatchNode {
  readonly id: string
  ref(address: Address): AnyRef
  /** Whether local actor `name` is alive. */
  isAlive(name: string): boolean
  /** `down` or `left` if `node` is known gone. */
  gone(node: string): 'down' | 'left' | undefined
  /** Sends to `troupe:watch@node`. */
  tell(node: string, message: WatchMessage): void
  /** Hands a local watcher its message. */
  deliver(watcher: Address, message: Terminated): void
  /** A watch refused: over the bound of watches from its node. */
  refused(letter: Letter, detail: string): void
}

/**
 * `ctx.watch(ref)`: the watcher hears once when the watched actor is gone.
 * A local target is watched here; a remote one by its node, which this node
 * asks to tell it (one watch per target and node, however many actors here
 * watch it), while this node itself reports the target's node going down or
 * leaving.
 * @internal
 */
export class DeathWatch {
  /** target → the local actors watching it */
  private readonly watchers = new Map<Address, Set<Address>>()
  /** watcher → the targets it watches (to end its watches when it stops) */
  private readonly targets = new Map<Address, Set<Address>>()
  /** local actor name → the other nodes watching it */
  private readonly remote = new Map<string, Set<string>>()
  /** other node → how many actors here it watches */
  private readonly watchesBy = new Map<string, number>()

  constructor(private readonly node: DeathWatchNode) {}

  watch(watcher: Address, target: AnyRef): void {
    const { address, nodeId, name } = target
    const local = nodeId === this.node.id
    const gone = local ? (this.node.isAlive(name) ? undefined : 'not-found') : this.node.gone(nodeId)
    if (gone !== undefined) {
      this.node.deliver(watcher, {
        type: 'terminated',
        ref: target,
        reason: gone === 'down' ? 'node-down' : gone === 'left' ? 'node-left' : gone,
      })
      return
    }
    const watchers = this.watchers.get(address) ?? new Set<Address>()
    if (watchers.has(watcher)) return
    if (watchers.size === 0) {
      this.watchers.set(address, watchers)
      if (!local) this.node.tell(nodeId, { watch: name })
    }
    watchers.add(watcher)
    this.targets.set(watcher, (this.targets.get(watcher) ?? new Set<Address>()).add(address))
  }

  unwatch(watcher: Address, target: AnyRef): void {
    this.targets.get(watcher)?.delete(target.address)
    this.drop(watcher, target.address)
  }

  /** Local actor `name` stopped: its watchers hear, here and on other nodes; its own watches end. */
  stopped(name: string): void {
    const address = `${name}@${this.node.id}`
    this.terminated(address, 'stopped')
    for (const node of this.remote.get(name) ?? [])
      this.node.tell(node, { terminated: address, reason: 'stopped' })
    this.remote.delete(name)
    for (const target of this.targets.get(address) ?? []) this.drop(address, target)
    this.targets.delete(address)
  }

  /** `node` is down or left: what was watched there is gone, and its watches of actors here end. */
  nodeGone(node: string, status: 'down' | 'left'): void {
    const suffix = `@${node}`
    for (const target of [...this.watchers.keys()])
      if (target.endsWith(suffix)) this.terminated(target, status === 'down' ? 'node-down' : 'node-left')
    for (const name of [...this.remote.keys()]) this.dropRemote(name, node)
  }

  /** `node` no longer watches local actor `name`. */
  private dropRemote(name: string, node: string): void {
    const nodes = this.remote.get(name)
    if (nodes === undefined || !nodes.delete(node)) return
    if (nodes.size === 0) this.remote.delete(name)
    const count = (this.watchesBy.get(node) ?? 1) - 1
    if (count <= 0) this.watchesBy.delete(node)
    else this.watchesBy.set(node, count)
  }

  /** A message to `troupe:watch` here, from another node. */
  receive(letter: Letter): void {
    const from = letter.origin
    const message = letter.message as Partial<Record<string, unknown>> | null
    if (typeof message !== 'object' || message === null || from === this.node.id) return
    if (typeof message.watch === 'string') {
      const name = message.watch
      if (!this.node.isAlive(name)) {
        this.node.tell(from, { terminated: `${name}@${this.node.id}`, reason: 'not-found' })
        return
      }
      const nodes = this.remote.get(name) ?? new Set<string>()
      if (nodes.has(from)) return
      const count = this.watchesBy.get(from) ?? 0
      if (count >= MAX_WATCHES_PER_NODE) {
        this.node.refused(letter, `node "${from}" watches ${count} actors here already`)
        return
      }
      this.remote.set(name, nodes.add(from))
      this.watchesBy.set(from, count + 1)
    } else if (typeof message.unwatch === 'string') {
      this.dropRemote(message.unwatch, from)
    } else if (typeof message.terminated === 'string' && message.terminated.endsWith(`@${from}`)) {
      const reason = message.reason === 'not-found' ? 'not-found' : 'stopped'
      this.terminated(message.terminated, reason)
    }
  }

  /** Every watcher of `target` hears it is gone; the watches end. */
  private terminated(target: Address, reason: TerminatedReason): void {
    const watchers = this.watchers.get(target)
    if (watchers === undefined) return
    this.watchers.delete(target)
    const ref = this.node.ref(target)
    for (const watcher of watchers) {
      this.targets.get(watcher)?.delete(target)
      this.node.deliver(watcher, { type: 'terminated', ref, reason })
    }
  }

  private drop(watcher: Address, target: Address): void {
    const watchers = this.watchers.get(target)
    if (watchers === undefined || !watchers.delete(watcher) || watchers.size > 0) return
    this.watchers.delete(target)
    const at = target.lastIndexOf('@')
    const node = target.slice(at + 1)
    if (node !== this.node.id) this.node.tell(node, { unwatch: target.slice(0, at) })
  }
}
