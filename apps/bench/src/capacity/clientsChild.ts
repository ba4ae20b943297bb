/**
 * A process holding many clients of the capacity benchmark's hub: connects
 * them a batch at a time, sends background traffic from them, and churns
 * them (closing some, opening new ones) on the driver's word.
 */
import { serveCalls } from '../shared/childServer.js'
import { paced } from '../shared/load.js'
import { makePayload } from '../shared/payload.js'
import { cpuPercentOver } from '../shared/system.js'
import { errorText, sleep } from '../shared/time.js'
import {
  type CapacityClient,
  type CapacityStack,
  connectSocketIoClient,
  connectTroupeClient,
} from './stacks.js'

/** How long one client may take to connect before it counts as failed. */
const CONNECT_TIMEOUT_MS = 30_000

const clients = new Map<string, CapacityClient>()
let seq = 0

/** What a batch of connections did. */
export interface ConnectResult {
  connected: number
  failed: number
  ms: number
  firstError?: string
}

async function connectMany(
  stack: CapacityStack,
  url: string,
  ids: string[],
  concurrency: number,
): Promise<ConnectResult> {
  const connect = stack === 'troupe' ? connectTroupeClient : connectSocketIoClient
  const result: ConnectResult = { connected: 0, failed: 0, ms: 0 }
  const start = performance.now()
  let next = 0
  const lane = async () => {
    while (next < ids.length) {
      const id = ids[next++]!
      try {
        clients.set(id, await connect(url, id, CONNECT_TIMEOUT_MS))
        result.connected++
      } catch (error) {
        result.failed++
        result.firstError ??= `${id}: ${errorText(error)}`
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, lane))
  result.ms = performance.now() - start
  return result
}

const handlers = {
  /** Connects clients `${prefix}0` … `${prefix}${count - 1}`, `concurrency` at a time. */
  connect(stack: CapacityStack, url: string, prefix: string, count: number, concurrency: number) {
    const ids = Array.from({ length: count }, (_, i) => `${prefix}${i}`)
    return connectMany(stack, url, ids, concurrency)
  },

  /** Ids of the clients connected now. */
  ids: () => [...clients.keys()],

  cpu: cpuPercentOver,

  /** Tells to the hub's sink from random clients, `rate` per second for `seconds`. */
  async background(rate: number, seconds: number): Promise<{ sent: number }> {
    const all = [...clients.values()]
    const start = performance.now()
    const sent = await paced(
      () => all[Math.floor(Math.random() * all.length)]!.send(makePayload(seq++, 't')),
      rate,
      start,
      start + seconds * 1_000,
    )
    return { sent }
  },

  /**
   * Every second for `seconds`: closes `perSecond` random clients and connects
   * as many new ones (`${prefix}${n}`), so the count stays the same.
   */
  async churn(stack: CapacityStack, url: string, prefix: string, perSecond: number, seconds: number) {
    let closed = 0
    let opened = 0
    let failed = 0
    let firstError: string | undefined
    const closing: Promise<void>[] = []
    const start = performance.now()
    for (let second = 0; second < seconds; second++) {
      const tick = performance.now()
      const leaving = [...clients.keys()].sort(() => Math.random() - 0.5).slice(0, perSecond)
      for (const id of leaving) {
        const client = clients.get(id)!
        clients.delete(id)
        closing.push(client.close().then(() => void closed++))
      }
      const ids = Array.from({ length: perSecond }, (_, i) => `${prefix}${second * perSecond + i}`)
      const result = await connectMany(stack, url, ids, perSecond)
      opened += result.connected
      failed += result.failed
      firstError ??= result.firstError
      await sleep(1_000 - (performance.now() - tick))
    }
    const ms = performance.now() - start
    await Promise.all(closing)
    return { closed, opened, failed, firstError, held: clients.size, ms }
  },

  /** Closes every client of this process. */
  async closeAll(): Promise<void> {
    await Promise.all([...clients.values()].map((client) => client.close()))
    clients.clear()
  },
}

/** The calls a clients process answers. */
export type ClientsHandlers = typeof handlers

serveCalls(handlers)
