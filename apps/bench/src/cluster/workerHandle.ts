/**
 * The driver's side of one worker process: forks it, queues what it says, and
 * makes sure it dies, whatever happens to the run or to the driver.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { childCommand } from '../shared/child.js'
import type { DriverMessage, WorkerMessage } from './protocol.js'

/** How long a worker has to exit after "stop" before it is killed. */
const STOP_GRACE_MS = 3_000
const WORKER_MODULE = new URL('./worker.ts', import.meta.url)

type Reply<TType extends WorkerMessage['type']> = Extract<WorkerMessage, { type: TType }>

/** A forked worker, made by {@link forkWorker}. */
export interface WorkerHandle {
  readonly index: number
  send(message: DriverMessage): void
  /**
   * The next message of `type` the worker sends (or sent, if not yet taken).
   * Rejects once the worker has reported an error or exited.
   */
  next<TType extends WorkerMessage['type']>(type: TType): Promise<Reply<TType>>
  /** Asks the worker to stop, and kills it with SIGKILL if it is still alive after a grace period. */
  stop(): Promise<void>
}

const alive = new Set<ChildProcess>()
// a driver that exits or crashes mid-run takes its workers with it
process.on('exit', () => {
  for (const child of alive) child.kill('SIGKILL')
})

/**
 * Starts a worker process (TypeScript, run through tsx), pinned to `cpu` if given.
 *
 * @example
 * const worker = forkWorker(0, undefined)
 * worker.send({ type: 'start', stack: 'ws', index: 0, workers: 3, actors: 100, peers: [] })
 * const { url } = await worker.next('listening')
 * await worker.stop()
 */
export function forkWorker(index: number, cpu: number | undefined): WorkerHandle {
  const [command, ...args] = childCommand({ module: WORKER_MODULE, cpu })
  const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  alive.add(child)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const inbox: WorkerMessage[] = []
  const waiters: {
    type: WorkerMessage['type']
    resolve(message: WorkerMessage): void
    reject(error: Error): void
  }[] = []
  let failure: Error | undefined

  const fail = (error: Error) => {
    failure ??= error
    for (const waiter of waiters.splice(0)) waiter.reject(failure)
  }
  child.on('message', (message: WorkerMessage) => {
    if (message.type === 'error') return fail(new Error(`worker ${index}: ${message.message}`))
    const waiter = waiters.findIndex((w) => w.type === message.type)
    if (waiter >= 0) waiters.splice(waiter, 1)[0]!.resolve(message)
    else inbox.push(message)
  })
  child.on('error', fail)
  child.on('exit', (code, signal) => {
    alive.delete(child)
    fail(new Error(`worker ${index} exited (${signal ?? `code ${code}`})`))
  })

  return {
    index,
    send(message) {
      if (child.connected) child.send(message)
    },
    next<TType extends WorkerMessage['type']>(type: TType) {
      const queued = inbox.findIndex((message) => message.type === type)
      if (queued >= 0) return Promise.resolve(inbox.splice(queued, 1)[0] as Reply<TType>)
      if (failure !== undefined) return Promise.reject(failure)
      return new Promise<Reply<TType>>((resolve, reject) => {
        waiters.push({ type, resolve: (message) => resolve(message as Reply<TType>), reject })
      })
    },
    async stop() {
      if (!alive.has(child)) return
      if (child.connected) child.send({ type: 'stop' } satisfies DriverMessage)
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
      // bounded even if the child never reports an exit (it failed to spawn)
      const gaveUp = new Promise<void>((resolve) => setTimeout(resolve, 2 * STOP_GRACE_MS).unref())
      await Promise.race([exited, gaveUp])
      clearTimeout(timer)
    },
  }
}
