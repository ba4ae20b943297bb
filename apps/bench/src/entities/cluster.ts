/**
 * The processes of an entity benchmark run: hub processes sharing one storage,
 * and a caller process. Hubs can be added, SIGKILLed and started again under
 * the same id; every step is bounded in time.
 *
 * A hub starts again on the port it had, as a restarted server does: a hub
 * whose id sorts before it redials the URL it last knew for it (the one in
 * that hub's handshake), not the new URL gossip brings, so a restart on
 * another port is never dialed by those hubs (the caller, as `caller` < `h1`).
 */
import { type Child, startChild, stopAll } from '../shared/child.js'
import type { LatencySummary } from '../shared/histogram.js'
import { errorText, machineNow, withTimeout } from '../shared/time.js'
import type { EntityCallerHandlers } from './callerChild.js'
import type { EntityHubHandlers, LoopDelay } from './hubChild.js'
import type { StorageSpec } from './storageSpec.js'
import type { StorageMethod } from './storageTiming.js'

const STEP_MS = 30_000

/** A running cluster; see {@link startEntityCluster}. */
export interface EntityCluster {
  readonly storage: StorageSpec
  readonly caller: Child<EntityCallerHandlers>
  /** The ids of the hubs that are running now. */
  hubIds(): string[]
  hub(id: string): Child<EntityHubHandlers>
  /** Starts a process for hub `id` (not yet a node): call {@link EntityCluster.join} to make it one. */
  spawnHub(id: string): Promise<void>
  /** Starts hub `id`'s node in its process (spawned before) and waits until every node sees every other. */
  join(id: string): Promise<void>
  /** The worst event-loop delay of the hubs running now since the last call (ms), and resets their monitors. */
  loopDelay(): Promise<LoopDelay>
  /**
   * How long storage calls took on the hubs since the last call, per method:
   * calls summed, percentiles of the worst hub (ms); resets the hubs' timers.
   */
  storageTimes(): Promise<StorageTimes>
  /** Handler errors on the running hubs since the last call, by message, summed. */
  actorErrors(): Promise<Record<string, number>>
  /** The members each running hub, and the caller, saw go down since the last call. */
  memberDowns(): Promise<Record<string, string[]>>
  /** SIGKILLs hub `id` and resolves, with the wall-clock time just before the signal, once it has exited. */
  kill(id: string): Promise<number>
  stop(): Promise<void>
}

/** Storage call times per method: calls on every hub, percentiles of the worst one (ms). */
export type StorageTimes = Record<StorageMethod, { calls: number; p50: number; p99: number; max: number }>

function worstOf(perHub: Record<StorageMethod, LatencySummary>[]): StorageTimes {
  const worst = {} as StorageTimes
  for (const hub of perHub) {
    for (const [method, t] of Object.entries(hub) as [StorageMethod, LatencySummary][]) {
      worst[method] ??= { calls: 0, p50: 0, p99: 0, max: 0 }
      const w = worst[method]
      w.calls += t.count
      if (t.count === 0) continue
      w.p50 = Math.max(w.p50, t.p50)
      w.p99 = Math.max(w.p99, t.p99)
      w.max = Math.max(w.max, t.max)
    }
  }
  return worst
}

const startHubProcess = (id: string) =>
  startChild<EntityHubHandlers>({ module: new URL('./hubChild.ts', import.meta.url), name: `hub ${id}` })

/**
 * Starts hubs `ids` (each joining through the first) on `storage`, then the
 * caller, and waits until everyone sees everyone up.
 */
export async function startEntityCluster(
  ids: readonly string[],
  storage: StorageSpec,
): Promise<EntityCluster> {
  const hubs = new Map<string, Child<EntityHubHandlers>>()
  const urls = new Map<string, string>()
  const dead: Child<EntityHubHandlers>[] = []
  const caller = startChild<EntityCallerHandlers>({
    module: new URL('./callerChild.ts', import.meta.url),
    name: 'caller',
  })
  /** Every hub's port, kept across its restarts. */
  const ports = new Map<string, number>()
  /** Starts hub `id`'s node in its process: on the port it had, if it ran before (see above). */
  const startHub = async (id: string) => {
    const seeds = live().map((other) => urls.get(other)!)
    const start = cluster.hub(id).call('start', id, ports.get(id) ?? 0, seeds, storage)
    const { url } = await withTimeout(start, STEP_MS, `hub ${id}`)
    urls.set(id, url)
    ports.set(id, Number(new URL(url).port))
  }
  const live = () => [...hubs.keys()].filter((id) => urls.has(id))
  const membersViews = async () => {
    const views = await Promise.all(
      [...live().map((id) => [id, cluster.hub(id)] as const), ['caller', caller] as const].map(
        async ([id, child]) => `${id}: ${(await child.call('membersView').catch(errorText)).toString()}`,
      ),
    )
    return views.join('; ')
  }

  const cluster: EntityCluster = {
    storage,
    caller,
    hubIds: live,
    hub(id) {
      const hub = hubs.get(id)
      if (hub === undefined) throw new Error(`no hub "${id}"`)
      return hub
    },
    async spawnHub(id) {
      const hub = startHubProcess(id)
      hubs.set(id, hub)
      await withTimeout(hub.call('ready'), STEP_MS, `starting the process of hub ${id}`)
    },
    async join(id) {
      await startHub(id)
      const everyone = live()
      try {
        await withTimeout(
          Promise.all([
            ...everyone.map((other) => cluster.hub(other).call('waitForMembers', everyone)),
            caller.call('waitForMembers', everyone),
          ]),
          STEP_MS,
          `every node seeing ${id} up`,
        )
      } catch (error) {
        throw new Error(`${errorText(error)}; members as seen by ${await membersViews()}`)
      }
    },
    async loopDelay() {
      const delays = await Promise.all(live().map((id) => cluster.hub(id).call('loopDelay')))
      return {
        p99: Math.max(...delays.map((d) => d.p99)),
        max: Math.max(...delays.map((d) => d.max)),
      }
    },
    async storageTimes() {
      const perHub = await Promise.all(live().map((id) => cluster.hub(id).call('storageTimes')))
      return worstOf(perHub)
    },
    async actorErrors() {
      const total: Record<string, number> = {}
      for (const id of live())
        for (const [text, n] of Object.entries(await cluster.hub(id).call('actorErrors')))
          total[text] = (total[text] ?? 0) + n
      return total
    },
    async memberDowns() {
      const ids = live()
      const downs = await Promise.all(ids.map((id) => cluster.hub(id).call('memberDowns')))
      return {
        ...Object.fromEntries(ids.map((id, i) => [id, downs[i]!])),
        caller: await caller.call('memberDowns'),
      }
    },
    async kill(id) {
      const hub = cluster.hub(id)
      // taken before the signal: a driver descheduled after sending it must not shorten what is timed
      const killedAt = machineNow()
      hub.kill('SIGKILL')
      urls.delete(id)
      hubs.delete(id)
      dead.push(hub)
      await hub.exited
      return killedAt
    },
    async stop() {
      await stopAll([caller, ...hubs.values(), ...dead])
    },
  }

  try {
    await withTimeout(caller.call('ready'), STEP_MS, 'starting the caller process')
    for (const id of ids) await cluster.spawnHub(id)
    for (const id of ids) await startHub(id)
    await withTimeout(caller.call('start', [urls.get(ids[0]!)!], [...ids]), STEP_MS, 'the caller joining')
    await withTimeout(
      Promise.all(ids.map((id) => cluster.hub(id).call('waitForMembers', [...ids, 'caller']))),
      STEP_MS,
      'the hubs seeing each other',
    )
  } catch (error) {
    await cluster.stop()
    throw error
  }
  return cluster
}
