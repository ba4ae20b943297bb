/**
 * A process holding many clients of the capacity benchmark's hub: connects
 * them a batch at a time, sends background traffic from them, and churns
 * them (closing some, opening new ones) on the driver's word. Every call ends
 * by its deadline, reporting what it got done.
 */
import { serveCalls } from '../shared/childServer.js'
import { paced } from '../shared/load.js'
import { makePayload } from '../shared/payload.js'
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
let cpuMark = { usage: process.cpuUsage(), at: performance.now() }

/** What a batch of connections did. */
export interface ConnectResult {
  connected: number
  failed: number
  /** Not tried: the deadline came first. */
  unattempted: number
  ms: number
  firstError?: string
}

async function connectMany(
  stack: CapacityStack,
  url: string,
  ids: string[],
  concurrency: number,
  deadline: number,
): Promise<ConnectResult> {
  const connect = stack === 'troupe' ? connectTroupeClient : connectSocketIoClient
  const result: ConnectResult = { connected: 0, failed: 0, unattempted: 0, ms: 0 }
  const start = performance.now()
  let next = 0
  const lane = async () => {
    while (next < ids.length && performance.now() < deadline) {
      const id = ids[next++]!
      try {
        const timeout = Math.max(1, Math.min(CONNECT_TIMEOUT_MS, deadline - performance.now()))
        clients.set(id, await connect(url, id, timeout))
        result.connected++
      } catch (error) {
        result.failed++
        result.firstError ??= `${id}: ${errorText(error)}`
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, lane))
  result.unattempted = ids.length - next
  result.ms = performance.now() - start
  return result
}

const handlers = {
  /** Connects clients `${prefix}0` … `${prefix}${count - 1}`, `concurrency` at a time, starting none after `withinMs`. */
  connect(
    stack: CapacityStack,
    url: string,
    prefix: string,
    count: number,
    concurrency: number,
    withinMs: number,
  ) {
    const ids = Array.from({ length: count }, (_, i) => `${prefix}${i}`)
    return connectMany(stack, url, ids, concurrency, performance.now() + withinMs)
  },

  /** Ids of the clients connected now. */
  ids: () => [...clients.keys()],

  /** Starts a CPU measurement (see `cpuSince`): no timer, so a saturated process still answers when it can. */
  cpuMark(): void {
    cpuMark = { usage: process.cpuUsage(), at: performance.now() }
  },

  /** This process's CPU since `cpuMark`, in % of one core. */
  cpuSince(): number {
    const used = process.cpuUsage(cpuMark.usage)
    return ((used.user + used.system) / 1_000 / (performance.now() - cpuMark.at)) * 100
  },

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
   * Every second for `seconds`: closes `perSecond` random clients and starts
   * connecting as many new ones (`${prefix}${n}`), without waiting for the
   * previous second's to finish (at most `4 × perSecond` in flight).
   */
  async churn(stack: CapacityStack, url: string, prefix: string, perSecond: number, seconds: number) {
    const totals = {
      closed: 0,
      opened: 0,
      failed: 0,
      skipped: 0,
      firstError: undefined as string | undefined,
    }
    const pending = new Set<Promise<void>>()
    const track = (work: Promise<void>) => {
      pending.add(work)
      void work.finally(() => pending.delete(work))
    }
    let connecting = 0
    let n = 0
    const start = performance.now()
    const end = start + seconds * 1_000
    for (let tick = start; tick < end; tick = performance.now()) {
      const leaving = [...clients.keys()].sort(() => Math.random() - 0.5).slice(0, perSecond)
      for (const id of leaving) {
        const client = clients.get(id)!
        clients.delete(id)
        track(client.close().then(() => void totals.closed++))
      }
      const room = Math.max(0, Math.min(perSecond, 4 * perSecond - connecting))
      totals.skipped += perSecond - room
      const ids = Array.from({ length: room }, () => `${prefix}${n++}`)
      connecting += room
      track(
        connectMany(stack, url, ids, room, end + CONNECT_TIMEOUT_MS).then((result) => {
          connecting -= room
          totals.opened += result.connected
          totals.failed += result.failed
          totals.firstError ??= result.firstError
        }),
      )
      await sleep(1_000 - (performance.now() - tick))
    }
    const ms = performance.now() - start
    await Promise.all(pending)
    return { ...totals, held: clients.size, ms }
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
