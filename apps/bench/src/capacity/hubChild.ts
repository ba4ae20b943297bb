/**
 * The hub process of the capacity benchmark (started with `--expose-gc`):
 * a Troupe hub or a Socket.IO server, measuring itself for the driver.
 */
import { serveCalls } from '../shared/childServer.js'
import { createHistogram } from '../shared/histogram.js'
import { paced } from '../shared/load.js'
import { makePayload } from '../shared/payload.js'
import { cpuPercentOver, memoryAfterGc } from '../shared/system.js'
import { type CapacityHub, type CapacityStack, startSocketIoHub, startTroupeHub } from './stacks.js'

let hub: CapacityHub | undefined
let seq = 0

const started = () => {
  if (hub === undefined) throw new Error('capacity hub: "start" first')
  return hub
}

const handlers = {
  /** Starts the hub; `maxClients` applies to Troupe. */
  async start(stack: CapacityStack, maxClients: number): Promise<{ url: string }> {
    hub = stack === 'troupe' ? await startTroupeHub(maxClients) : await startSocketIoHub()
    return { url: hub.url }
  },
  memory: memoryAfterGc,
  cpu: cpuPercentOver,
  clients: () => started().clients(),
  watchDrops: (prefix: string) => started().watchDrops(prefix),
  drops: () => started().drops(),
  received: () => started().received(),

  /**
   * Asks random clients among `ids` at `rate` per second for `seconds`, each
   * ask timed on its own (they overlap when replies are slow).
   */
  async askClients(ids: string[], rate: number, seconds: number) {
    const target = started()
    const latency = createHistogram()
    let failures = 0
    let firstFailure: string | undefined
    const inFlight = new Set<Promise<void>>()
    const askOne = () => {
      const id = ids[Math.floor(Math.random() * ids.length)]!
      const sentAt = performance.now()
      const ask = target.ask(id, makePayload(seq++, 'a')).then(
        () => latency.record(performance.now() - sentAt),
        (error: unknown) => {
          failures++
          firstFailure ??= error instanceof Error ? error.message : String(error)
        },
      )
      inFlight.add(ask)
      void ask.finally(() => inFlight.delete(ask))
    }
    const start = performance.now()
    const sent = await paced(askOne, rate, start, start + seconds * 1_000)
    await Promise.all(inFlight)
    return { sent, latency: latency.toJSON(), failures, firstFailure }
  },

  async close(): Promise<void> {
    await hub?.close()
    hub = undefined
  },
}

/** The calls the capacity hub answers. */
export type HubHandlers = typeof handlers

serveCalls(handlers)
