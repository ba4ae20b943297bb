/**
 * A hub process of the entity benchmark: a listening Troupe node with shared
 * storage that defines the `counter` kind and runs the plain counter actor.
 * It is SIGKILLed and started again (same id) by the failover run.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { createNode, type Node } from '@troupe/node'
import { untilReady } from '../endpoints/troupeEndpoint.js'
import { serveCalls } from '../shared/childServer.js'
import { machineNow } from '../shared/time.js'
import { defineCounter, spawnPlainCounter } from './counter.js'
import { openStorage, type StorageSpec } from './storageSpec.js'
import { type TimedStorage, timeStorage } from './storageTiming.js'

let node: Node | undefined
let timing: TimedStorage | undefined
/** Members this hub saw go down since the last reading (`id` each time). */
let downs: string[] = []
/** The last dead letters of entity messages here: to, reason, key and the caller's `seq`. */
const entityDeadLetters: EntityDeadLetter[] = []

/** An entity message that ended as a dead letter. */
export interface EntityDeadLetter {
  to: string
  reason: string
  key: string | undefined
  seq: number | undefined
  at: number
}

/** Handler errors since the last reading, by message (a fenced activation's refused write, mostly). */
let actorErrors: Record<string, number> = {}
// a synchronous storage call (SQLite waiting for another process's lock) holds the whole hub: this shows it
const loopDelay = monitorEventLoopDelay({ resolution: 5 })
loopDelay.enable()

/** How late the event loop ran since the last reading, in ms. */
export interface LoopDelay {
  p99: number
  max: number
}

const started = () => {
  if (node === undefined) throw new Error('entity hub: "start" first')
  return node
}

const handlers = {
  /** Answers once the process is up (to keep its startup out of what is timed next). */
  ready: () => true,

  /**
   * Starts hub `id` listening on `port` (0: a free one) and joining through
   * `seeds`, hosting `counter` on `storage`; resolves with its URL.
   */
  async start(id: string, port: number, seeds: string[], storage: StorageSpec): Promise<{ url: string }> {
    timing = timeStorage(openStorage(storage))
    node = await createNode({
      id,
      listen: { host: '127.0.0.1', port },
      seeds,
      storage: timing.storage,
    })
    node.on('member-down', (member) => downs.push(member.id))
    node.on('deadletter', ({ to, reason, message }) => {
      if (!to.startsWith('entity:') || entityDeadLetters.length >= 200) return
      // an entity message travels as [key, id, message]
      const [key, , inner] = Array.isArray(message) ? message : []
      const seq = (inner as { seq?: number } | undefined)?.seq
      entityDeadLetters.push({ to, reason, key: key as string | undefined, seq, at: machineNow() })
    })
    // counted and reported with the figures, rather than printed as they happen
    node.on('actor-error', ({ error }) => {
      const text = (error instanceof Error ? error.message : String(error)).replace(/\/[^ ]+ /, '/<key> ')
      actorErrors[text] = (actorErrors[text] ?? 0) + 1
    })
    defineCounter(node)
    spawnPlainCounter(node)
    return { url: node.url! }
  },

  /** Resolves once every node in `ids` is up here. */
  waitForMembers: (ids: string[]) => untilReady(started(), ids),

  /** The member table as this node sees it: `id:status:incarnation` each. */
  membersView: () =>
    started()
      .members()
      .map((m) => `${m.id}:${m.status}:${m.incarnation}`),

  /** This hub's entity counters (activations, failovers, fenced, ...). */
  entityMetrics: () => started().metrics().entities,

  /** The event loop's delay since the last call, and a fresh start. */
  loopDelay(): LoopDelay {
    const delay = { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 }
    loopDelay.reset()
    return delay
  },

  /** The members this hub saw go down since the last call (an id per event). */
  memberDowns(): string[] {
    const seen = downs
    downs = []
    return seen
  },

  /** The entity messages that ended as dead letters here (the first 200). */
  entityDeadLetters: () => entityDeadLetters,

  /** Handler errors since the last call, by message with the key left out. */
  actorErrors(): Record<string, number> {
    const seen = actorErrors
    actorErrors = {}
    return seen
  },

  /** How long this hub's storage calls took since the last reading, per method (ms). */
  storageTimes: () => {
    if (timing === undefined) throw new Error('entity hub: "start" first')
    return timing.read()
  },

  /** Dead letters on this hub, by reason (only the non-zero ones). */
  deadLetters: () =>
    Object.fromEntries(Object.entries(started().metrics().deadLetters).filter(([, n]) => n > 0)),

  async close(): Promise<void> {
    await node?.close()
    node = undefined
  },
}

/** The calls an entity hub answers. */
export type EntityHubHandlers = typeof handlers

serveCalls(handlers)
