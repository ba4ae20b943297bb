/**
 * A worker process of the cluster benchmark: one node of one stack with its
 * actors, driven by the driver over IPC (see protocol.ts). Started by
 * `forkWorker`; never outlives the driver.
 */
import { createHistogram } from '../shared/histogram.js'
import { machineNow } from '../shared/time.js'
import { runLoad } from './load.js'
import type { DriverMessage, StackName, WorkerMessage } from './protocol.js'
import type { ActorHandler, Stack, StartStack } from './stacks/stack.js'

/** Imported on demand, so a stack that cannot load fails only its own run. */
const stacks: Record<StackName, () => Promise<{ start: StartStack }>> = {
  ws: () => import('./stacks/ws.js'),
  socketio: () => import('./stacks/socketio.js'),
  troupe: () => import('./stacks/troupe.js'),
}

const STOP_GRACE_MS = 2_000

let stack: Stack | undefined
let workers = 0
let index = 0
let actorCount = 0
let received = 0
let latency = createHistogram()

const tell = (message: WorkerMessage) => process.send?.(message)

function fail(error: unknown): void {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
  if (process.connected)
    process.send?.({ type: 'error', message } satisfies WorkerMessage, () => process.exit(1))
  else process.exit(1)
}

async function handle(message: DriverMessage): Promise<void> {
  switch (message.type) {
    case 'start': {
      ;({ index, workers, actors: actorCount } = message)
      const actors = new Map<number, ActorHandler>()
      for (let actor = 0; actor < actorCount; actor++) {
        actors.set(actor, (letter) => {
          received++
          latency.record(machineNow() - letter.sentAt)
        })
      }
      const { start } = await stacks[message.stack]()
      stack = await start({ index, workers, peers: message.peers, actors })
      tell({ type: 'listening', url: stack.url })
      await stack.ready
      tell({ type: 'ready' })
      return
    }
    case 'run': {
      if (stack === undefined) throw new Error('"run" before "start"')
      received = 0
      latency = createHistogram()
      const result = await runLoad({
        ...message,
        stack,
        index,
        workers,
        actors: actorCount,
        received: () => received,
      })
      tell({ type: 'phase-done', ...result })
      return
    }
    case 'collect':
      tell({ type: 'collected', received, latency: latency.toJSON(), deadLetters: stack?.deadLetters() ?? 0 })
      return
    case 'stop':
      setTimeout(() => process.exit(0), STOP_GRACE_MS).unref()
      await stack?.close()
      process.exit(0)
  }
}

process.on('message', (message: DriverMessage) => {
  handle(message).catch(fail)
})
// the driver is gone (crashed or killed): nobody will ever say "stop"
process.on('disconnect', () => process.exit(0))
process.on('uncaughtException', fail)
process.on('unhandledRejection', fail)
