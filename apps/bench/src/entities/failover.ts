/**
 * Failover: a caller increments keys sequentially (one loop per key) while
 * the hubs take turns being SIGKILLed and started again. For each kill, each
 * key the victim owned is timed from the kill to its first answer from
 * another hub; over the whole run the caller counts failed asks, gaps and
 * repeats in the counts (each must be zero).
 */
import type { EntityMetrics } from '@troupe/node'
import { loadAverage } from '../shared/system.js'
import { withTimeout } from '../shared/time.js'
import type { EntityCluster } from './cluster.js'
import type { EntityDeadLetter } from './hubChild.js'
import type { IncrementSummary } from './increments.js'
import { ownersOf, type Placement } from './placement.js'

/** How long keys may take to settle on their owners, or to be taken over, before the run gives up. */
const SETTLE_MS = 30_000

/** What the failover run needs. */
export interface FailoverOptions {
  kills: number
  /** Keys each hub owns among those incremented. */
  keysPerHub: number
}

/** One kill: the victim and, per key it owned, ms from the kill to the first answer from another hub. */
export interface KillRound {
  victim: string
  killedAt: number
  takeoverMs: Record<string, number | null>
  /** Member-down events seen from just before the kill to the victim's return (the victim's own expected). */
  downs: Record<string, string[]>
}

/** Everything the failover run saw. */
export interface FailoverFigures {
  kills: number
  keys: number
  rounds: KillRound[]
  /** Every key's takeover time, over all kills (null: not taken over within the bound). */
  samples: (number | null)[]
  caller: IncrementSummary
  /** Handler errors on the hubs over the run, by message (a fenced activation's refused write, mostly). */
  actorErrors: Record<string, number>
  /** Dead letters by reason: on the hubs (each run of each, summed), and on the caller. */
  hubDeadLetters: Record<string, number>
  callerDeadLetters: Record<string, number>
  /** The hubs' dead letters of entity messages (each run's first 200), with the hub that had them. */
  entityDeadLetters: Array<EntityDeadLetter & { hub: string }>
  /** Entity counters per hub id, summed over its runs (each restart starts from zero); `active` at the end. */
  hubMetrics: Record<string, EntityMetrics>
  loadAverage: number
}

/** The first keys `prefix0`, `prefix1`, ... until each hub owns `perHub` of them. */
export function keysOwnedEvenly(
  placement: Placement,
  hosts: readonly string[],
  perHub: number,
  prefix: string,
): string[] {
  const owned = new Map(hosts.map((host) => [host, 0]))
  const keys: string[] = []
  for (let i = 0; [...owned.values()].some((n) => n < perHub); i++) {
    const key = `${prefix}${i}`
    const owner = placement(key, hosts)
    if (owned.get(owner)! >= perHub) continue
    owned.set(owner, owned.get(owner)! + 1)
    keys.push(key)
  }
  return keys
}

/** Adds one run's counters of hub `id` to `totals` (the `active` gauge is the latest run's). */
function addCounters(totals: Record<string, EntityMetrics>, id: string, metrics: EntityMetrics): void {
  const total = totals[id]
  if (total === undefined) {
    totals[id] = { ...metrics }
    return
  }
  total.active = metrics.active
  total.activated += metrics.activated
  total.failovers += metrics.failovers
  total.passivated += metrics.passivated
  total.forwarded += metrics.forwarded
  total.fenced += metrics.fenced
}

/** Runs the kills on `cluster` (all its hubs defining the kind) and gathers the figures. */
export async function measureFailover(
  cluster: EntityCluster,
  placement: Placement,
  options: FailoverOptions,
  progress: (line: string) => void,
): Promise<FailoverFigures> {
  const hosts = cluster.hubIds()
  const keys = keysOwnedEvenly(placement, hosts, options.keysPerHub, 'fo-')
  const expected = ownersOf(placement, keys, hosts)
  const { caller } = cluster
  await caller.call('startIncrements', keys)
  const rounds: KillRound[] = []
  const hubMetrics: Record<string, EntityMetrics> = {}
  const actorErrors: Record<string, number> = {}
  const addErrors = (errors: Record<string, number>) => {
    for (const [text, n] of Object.entries(errors)) actorErrors[text] = (actorErrors[text] ?? 0) + n
  }
  const hubDeadLetters: Record<string, number> = {}
  const entityDeadLetters: FailoverFigures['entityDeadLetters'] = []
  const collectDeadLetters = async (hub: string) => {
    addDeadLetters(await cluster.hub(hub).call('deadLetters'))
    for (const letter of await cluster.hub(hub).call('entityDeadLetters'))
      entityDeadLetters.push({ ...letter, hub })
  }
  const addDeadLetters = (letters: Record<string, number>) => {
    for (const [reason, n] of Object.entries(letters))
      hubDeadLetters[reason] = (hubDeadLetters[reason] ?? 0) + n
  }
  for (let round = 0; round < options.kills; round++) {
    const victim = hosts[round % hosts.length]!
    if (!(await caller.call('awaitOwners', expected, SETTLE_MS))) {
      const owners = await caller.call('incrementOwners')
      throw new Error(
        `kill ${round + 1}: the keys did not settle on their owners within ${SETTLE_MS} ms: ${JSON.stringify(owners)}`,
      )
    }
    const victimKeys = keys.filter((key) => expected[key] === victim)
    addCounters(hubMetrics, victim, await cluster.hub(victim).call('entityMetrics'))
    await collectDeadLetters(victim)
    addErrors(await cluster.actorErrors())
    await caller.call('armKill', victim, victimKeys)
    await cluster.memberDowns()
    const killedAt = await cluster.kill(victim)
    const takeoverMs = await caller.call('awaitTakeover', killedAt, SETTLE_MS)
    const times = Object.values(takeoverMs).map((ms) => (ms === null ? 'none' : `${ms.toFixed(0)} ms`))
    progress(`kill ${round + 1}/${options.kills} (${victim}): taken over after ${times.join(', ')}`)
    await cluster.spawnHub(victim)
    await cluster.join(victim)
    rounds.push({ victim, killedAt, takeoverMs, downs: await cluster.memberDowns() })
  }
  const summary = await withTimeout(caller.call('stopIncrements'), SETTLE_MS, 'stopping the increments')
  for (const id of cluster.hubIds()) {
    addCounters(hubMetrics, id, await cluster.hub(id).call('entityMetrics'))
    await collectDeadLetters(id)
  }
  addErrors(await cluster.actorErrors())
  return {
    kills: options.kills,
    keys: keys.length,
    rounds,
    samples: rounds.flatMap((round) => Object.values(round.takeoverMs)),
    caller: summary,
    hubMetrics,
    actorErrors,
    hubDeadLetters,
    entityDeadLetters,
    callerDeadLetters: await caller.call('deadLetters'),
    loadAverage: loadAverage(),
  }
}
