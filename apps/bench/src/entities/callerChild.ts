/**
 * The caller process of the entity benchmark: a listening Troupe node that
 * hosts nothing and has no storage, asking the hubs' counters (entities by
 * kind and key, plain actors by address) on the driver's behalf.
 */
import { createNode, type Node } from '@troupe/node'
import { untilReady } from '../endpoints/troupeEndpoint.js'
import { serveCalls } from '../shared/childServer.js'
import { askEveryKey, type CounterAsk, closedLoops, firstVersusActive, sweepUntilOwned } from './askLoops.js'
import { type CounterMessage, type CounterReply, KIND, PLAIN } from './counter.js'
import { IncrementLoops } from './increments.js'

/** Long enough for a failover (failure detector, lease) and a loaded machine. */
const ASK_TIMEOUT_MS = 15_000

let node: Node | undefined
let increments: IncrementLoops | undefined
/** Members this node saw go down since the last reading. */
let downs: string[] = []

const started = () => {
  if (node === undefined) throw new Error('entity caller: "start" first')
  return node
}

const askEntity: CounterAsk = (key, op, seq) =>
  started()
    .entity<CounterMessage, CounterReply>(KIND, key)
    .ask(seq === undefined ? { op, key } : { op, key, seq }, { timeoutMs: ASK_TIMEOUT_MS })

const askPlain = (owner: string, key: string, op: 'inc' | 'get' = 'inc') =>
  started().ask(`${PLAIN}@${owner}`, { op, key } satisfies CounterMessage, {
    timeoutMs: ASK_TIMEOUT_MS,
  }) as Promise<CounterReply>

/** Plain asks go to the plain actor on the node that owns the key as an entity. */
const plainVia =
  (owners: Record<string, string>): CounterAsk =>
  (key, op) =>
    askPlain(owners[key]!, key, op)

const loops = () => {
  if (increments === undefined) throw new Error('entity caller: "startIncrements" first')
  return increments
}

const handlers = {
  ready: () => true,

  /** Starts the caller (a hub) joining through `seeds`, and waits until `hubs` are up here. */
  async start(seeds: string[], hubs: string[]): Promise<void> {
    node = await createNode({ id: 'caller', listen: { host: '127.0.0.1', port: 0 }, seeds })
    node.on('member-down', (member) => downs.push(member.id))
    await untilReady(node, hubs)
  },

  waitForMembers: (ids: string[]) => untilReady(started(), ids),

  /** The member table as this node sees it: `id:status:incarnation` each. */
  membersView: () =>
    started()
      .members()
      .map((m) => `${m.id}:${m.status}:${m.incarnation}`),

  /** Asks each key's entity once (`inc` activates new ones): who answered, and the counts. */
  askEveryKey: (keys: string[], op: 'inc' | 'get', concurrency: number) =>
    askEveryKey(askEntity, keys, op, concurrency),

  firstVersusActive: (prefix: string, count: number) => firstVersusActive(askEntity, askPlain, prefix, count),

  /** Closed loops of `inc` to the keys' entities, or to the plain actors on their `owners`. */
  closedLoops: (
    target: 'entity' | 'plain',
    keys: string[],
    owners: Record<string, string>,
    concurrency: number,
    seconds: number,
  ) => closedLoops(target === 'entity' ? askEntity : plainVia(owners), keys, concurrency, seconds),

  sweepUntilOwned: (
    expected: Record<string, string>,
    expectedCount: number,
    concurrency: number,
    maxMs: number,
  ) => sweepUntilOwned(askEntity, expected, expectedCount, concurrency, maxMs),

  startIncrements(keys: string[]): void {
    increments = new IncrementLoops(askEntity, keys)
  },
  armKill: (victim: string, keys: string[]) => loops().arm(victim, keys),
  awaitTakeover: (killedAt: number, maxMs: number) => loops().awaitTakeover(killedAt, maxMs),
  awaitOwners: (expected: Record<string, string>, maxMs: number) => loops().awaitOwners(expected, maxMs),
  incrementOwners: () => loops().owners(),
  stopIncrements: () => loops().stop(),

  /** The members this node saw go down since the last call (an id per event). */
  memberDowns(): string[] {
    const seen = downs
    downs = []
    return seen
  },

  deadLetters: () =>
    Object.fromEntries(Object.entries(started().metrics().deadLetters).filter(([, n]) => n > 0)),

  async close(): Promise<void> {
    await increments?.stop()
    await node?.close()
    node = undefined
  },
}

/** The calls the entity caller answers. */
export type EntityCallerHandlers = typeof handlers

serveCalls(handlers)
