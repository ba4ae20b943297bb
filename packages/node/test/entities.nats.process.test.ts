/**
 * Virtual actors over real processes with NATS JetStream storage: three hubs
 * share one KV bucket on a real `nats-server -js` and host a counter entity; a
 * client counts through it while the hub that owns it is SIGKILLed, brought
 * back (the key moves home to it), and SIGKILLed again. The count goes 1, 2,
 * 3 ... with no failure, no gap and no repeat.
 */
import {
  forkNodeWorker,
  type NodeWorker,
  type StartedNodeWorker,
  startNodeWorker,
  waitFor,
} from '@troupe/test-support'
import { afterEach, describe, expect, it } from 'vitest'
import { type NatsServer, startNatsServer } from './support/natsServer.js'

const KEY = 'user-42'
/** Every engine sharing a bucket uses one lease TTL: the entities' lease (`entityLeaseMs`, 1 s by default). */
const LEASE_TTL_MS = 1_000

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A hub hosting `counter` on NATS storage (the worker's start command takes `nats`, see nodeWorker.mjs). */
async function startHub(id: string, seeds: string[], nats: NatsServer): Promise<StartedNodeWorker> {
  const worker = forkNodeWorker(id)
  cleanups.push(() => worker.kill())
  const { url, incarnation } = await worker.request<{ url: string; incarnation: number }>({
    cmd: 'start',
    options: { id, listen: { host: '127.0.0.1', port: 0 }, seeds },
    counter: true,
    nats: { servers: nats.url, bucket: 'entities', leaseTtlMs: LEASE_TTL_MS },
  })
  return Object.assign(worker, { url, incarnation })
}

async function cluster(): Promise<{
  hubs: StartedNodeWorker[]
  client: StartedNodeWorker
  nats: NatsServer
}> {
  const nats = await startNatsServer()
  cleanups.push(() => nats.stop())
  const hubs: StartedNodeWorker[] = []
  for (const id of ['h1', 'h2', 'h3'])
    hubs.push(await startHub(id, hubs.length === 0 ? [] : [hubs[0]!.url], nats))
  const client = await startNodeWorker('client', { seeds: hubs.map((hub) => hub.url) })
  cleanups.push(() => client.kill())
  for (const hub of hubs.slice(1)) await hubs[0]!.waitFor((e) => e.event === 'member-up' && e.id === hub.id)
  return { hubs, client, nats }
}

type Count = { n: number; on: string }

async function inc(client: NodeWorker): Promise<Count> {
  const result = await client.askEntity('counter', KEY, 'inc', { timeoutMs: 15_000 })
  if (!result.ok) throw new Error(`inc failed: ${result.code} ${result.message}`)
  return result.value as Count
}

describe('entities across processes on NATS storage', () => {
  it('keep counting when the owner hub is SIGKILLed, restarted, and SIGKILLed again', async () => {
    const { hubs, client, nats } = await cluster()
    const seen: number[] = []
    const owners: string[] = []
    const failovers: number[] = []
    const count = async () => {
      const { n, on } = await inc(client)
      seen.push(n)
      owners.push(on)
      return on
    }
    const killOwnerAndCount = async () => {
      const owner = hubs.find((hub) => hub.id === owners.at(-1))!
      const killedAt = Date.now()
      await owner.kill('SIGKILL')
      const on = await count()
      failovers.push(Date.now() - killedAt)
      expect(on).not.toBe(owner.id)
      return owner
    }

    for (let i = 0; i < 15; i++) await count()
    const first = await killOwnerAndCount()
    for (let i = 0; i < 14; i++) await count()
    // the first owner comes back (a new process, same id): the key is its own again
    const seeds = hubs.filter((hub) => hub.alive).map((hub) => hub.url)
    const back = await startHub(first.id, seeds, nats)
    hubs[hubs.indexOf(first)] = back
    await waitFor(
      async () =>
        (await client.members()).some(
          (m) => m.id === back.id && m.status === 'up' && m.incarnation === back.incarnation,
        ),
      { what: `the client sees ${back.id} back` },
    )
    await waitFor(async () => (await count()) === back.id, {
      what: `${KEY} answers from ${back.id} again`,
    })
    await killOwnerAndCount()
    for (let i = 0; i < 10; i++) await count()

    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i + 1))
    expect(failovers).toHaveLength(2)
    console.log(
      `NATS entity failover after SIGKILL of its owner: answered again after ${failovers.join(', ')} ms; ${seen.length} increments, owners ${owners.filter((on, i) => on !== owners[i - 1]).join(' → ')}`,
    )
  }, 90_000)
})
