import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const WORKER = fileURLToPath(new URL('./worker.mjs', import.meta.url))

/** An event a worker reported (member-up, member-down, deadletter, streamed, ...). */
export interface WorkerEvent {
  event: string
  id?: string
  at?: number
  [key: string]: unknown
}

/** A cluster node running in a child process. */
export interface NodeProcess {
  readonly id: string
  readonly events: WorkerEvent[]
  readonly child: ChildProcess
  request<T = Record<string, unknown>>(command: Record<string, unknown>): Promise<T>
  /** Resolves with the first event (already seen or to come) that matches. */
  waitFor(match: (event: WorkerEvent) => boolean, timeoutMs?: number): Promise<WorkerEvent>
  kill(signal?: NodeJS.Signals): Promise<void>
}

/** Forks a worker and starts a node in it with `options` (those of `@troupe/node`'s createNode). */
export async function startNode(
  id: string,
  options: Record<string, unknown>,
): Promise<NodeProcess & { url: string }> {
  const child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const events: WorkerEvent[] = []
  const waiting = new Map<number, (reply: Record<string, unknown>) => void>()
  const watchers = new Set<() => void>()
  let nextAsk = 1
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.on('message', (message: Record<string, unknown>) => {
    if (typeof message.reply === 'number') {
      waiting.get(message.reply)?.(message)
      waiting.delete(message.reply)
    } else {
      events.push(message as unknown as WorkerEvent)
      for (const watch of watchers) watch()
    }
  })
  const process: NodeProcess = {
    id,
    events,
    child,
    request<T>(command: Record<string, unknown>) {
      const ask = nextAsk++
      return new Promise<T>((resolve, reject) => {
        waiting.set(ask, (reply) =>
          reply.error ? reject(new Error(String(reply.error))) : resolve(reply as T),
        )
        child.send({ ...command, ask })
      })
    },
    waitFor(match, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(match)
          if (found === undefined) return
          watchers.delete(check)
          clearTimeout(timer)
          resolve(found)
        }
        const timer = setTimeout(() => {
          watchers.delete(check)
          reject(
            new Error(`node ${id}: no matching event within ${timeoutMs} ms; saw ${JSON.stringify(events)}`),
          )
        }, timeoutMs)
        watchers.add(check)
        check()
      })
    },
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      await exited
    },
  }
  const { url } = await process.request<{ url: string }>({ cmd: 'start', options: { id, ...options } })
  return Object.assign(process, { url })
}
