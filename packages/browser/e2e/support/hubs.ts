import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { AskResult, MemberInfo } from './tabApi.js'

const WORKER = fileURLToPath(new URL('./hubWorker.mjs', import.meta.url))

/** Something a hub process reported: a member event or a dead letter. */
export interface HubEvent {
  event: 'member-up' | 'member-down' | 'member-left' | 'deadletter'
  id?: string
  via?: string
  to?: string
  from?: string
  reason?: string
}

/** Options passed to `@troupe/node`'s `createNode` in the hub process (`id` and `listen` are set for you). */
export interface HubOptions {
  /** @default 0: a free port */
  port?: number
  seeds?: string[]
  advertiseUrl?: string
  [option: string]: unknown
}

/** A hub: a `@troupe/node` node listening on 127.0.0.1, in a child process, with a `log` recorder and an `echo` actor. */
export interface Hub {
  readonly id: string
  readonly url: string
  readonly port: number
  readonly events: HubEvent[]
  sendNumbered(to: string, first: number, count: number, options?: { ttlMs?: number }): Promise<number>
  /** What the hub's recorder `name` (by default `log`) has received, in order. */
  received(name?: string): Promise<unknown[]>
  ask(to: string, message: unknown, options?: { timeoutMs?: number }): Promise<AskResult>
  members(): Promise<MemberInfo[]>
  metrics(): Promise<unknown>
  close(): Promise<void>
  /** Kills the process (SIGKILL unless told otherwise) and waits until it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>
  readonly alive: boolean
}

/** Forks a hub process and starts its node. */
export async function startHub(id: string, options: HubOptions = {}): Promise<Hub> {
  const { port = 0, ...rest } = options
  const child: ChildProcess = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const events: HubEvent[] = []
  const waiting = new Map<number, (reply: Record<string, unknown>) => void>()
  let nextAsk = 1
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.on('exit', (code, signal) => {
    for (const settle of waiting.values()) settle({ error: `hub ${id} exited (${signal ?? code})` })
    waiting.clear()
  })
  child.on('message', (message: Record<string, unknown>) => {
    if (typeof message.reply === 'number') {
      waiting.get(message.reply)?.(message)
      waiting.delete(message.reply)
    } else {
      events.push(message as unknown as HubEvent)
    }
  })
  const request = <T>(command: Record<string, unknown>): Promise<T> => {
    const ask = nextAsk++
    return new Promise<T>((resolve, reject) => {
      waiting.set(ask, (reply) =>
        reply.error === undefined
          ? resolve(reply as T)
          : reject(new Error(`hub ${id}: ${String(reply.error)}`)),
      )
      child.send({ ...command, ask })
    })
  }
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    await exited
  }
  let url: string
  try {
    ;({ url } = await request<{ url: string }>({
      cmd: 'start',
      options: { id, listen: { host: '127.0.0.1', port }, ...rest },
    }))
  } catch (error) {
    await kill()
    throw error
  }
  return {
    id,
    url,
    port: Number(new URL(url).port),
    events,
    sendNumbered: async (to, first, count, options) =>
      (await request<{ accepted: number }>({ cmd: 'sendNumbered', to, first, count, ttlMs: options?.ttlMs }))
        .accepted,
    received: async (name = 'log') =>
      (await request<{ received: unknown[] }>({ cmd: 'received', name })).received,
    ask: async (to, message, options) =>
      (await request<{ result: AskResult }>({ cmd: 'ask', to, message, timeoutMs: options?.timeoutMs }))
        .result,
    members: async () => (await request<{ members: MemberInfo[] }>({ cmd: 'members' })).members,
    metrics: async () => (await request<{ metrics: unknown }>({ cmd: 'metrics' })).metrics,
    close: async () => {
      await request({ cmd: 'close' })
    },
    kill,
    get alive() {
      return child.exitCode === null && child.signalCode === null
    },
  }
}
