import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const SCRIPT = fileURLToPath(new URL('./nodeWorker.mjs', import.meta.url))

/** Something a worker reported: `member-up`, `member-down`, `member-left`, `deadletter`, `sent`, `streamed`. */
export interface WorkerEvent {
  event: string
  /** The member, for member events. */
  id?: string
  /** When the worker saw it (`Date.now()` there). */
  at?: number
  [key: string]: unknown
}

/** A member as a worker's node lists it. */
export interface WorkerMember {
  id: string
  role: string
  status: string
  incarnation: number
  via?: string | undefined
  url?: string | undefined
}

/** The outcome of an ask made by a worker's node: the reply, or the error's code and reason. */
export type AskResult =
  | { ok: true; value: unknown }
  | { ok: false; code: string | undefined; reason: string | undefined; message: string }

/** Options of a worker's numbered stream (see {@link NodeWorker.stream}). */
export interface StreamOptions {
  /** Addresses that each get `{ from, run, seq }` with seq counting from 0. */
  targets: string[]
  /** Messages per target per tick. */
  perTick: number
  tickMs: number
  /** Stop after this many per target, reporting a `streamed` event. @default until {@link NodeWorker.streamStop} */
  count?: number
  ttlMs?: number
  /** Put in every message, to tell the runs of a restarted node apart. @default 0 */
  run?: number
}

/** The `authenticate` hook a worker's hub gets (hooks cannot cross IPC); see nodeWorker.mjs. */
export type WorkerAuthenticate = { mode: 'any' } | { mode: 'delay'; delayMs: number } | { mode: 'never' }

/** `process.memoryUsage()` figures of a worker, in bytes. */
export interface WorkerMemory {
  rss: number
  heapUsed: number
  heapTotal: number
  external: number
  arrayBuffers: number
}

/** The most a worker used while its sampler ran, and the delays of its event loop meanwhile. */
export interface MemoryPeaks extends Pick<WorkerMemory, 'rss' | 'heapUsed' | 'arrayBuffers' | 'external'> {
  loopDelayMaxMs: number
  loopDelayP99Ms: number
}

/** Latencies in ms of a worker's asks (see {@link NodeWorker.stopProbe}). */
export interface ProbeResult {
  count: number
  p50: number
  p95: number
  max: number
  failures: number
}

/** Counts read from a worker node's private state (see nodeWorker.mjs 'internals'). */
export interface WorkerInternals {
  /** Destinations the delivery layer keeps an outbound stream for. */
  outStreams: number
  inStreams: number
  /** Per origin: messages waiting for a full mailbox. */
  backlogs: Record<string, number>
  /** Bytes of all those messages. */
  backlogBytes: number
  /** Peers whose link refused data, with streams waiting for it to have room again. */
  blockedLinks: string[]
  /** Ids of the asks the node is waiting on. */
  askIds: number[]
  members: number
}

/** A finished OpenTelemetry span, as plain data. */
export interface SpanInfo {
  name: string
  /** `SpanKind`: 0 internal, 1 server, 2 client, 3 producer, 4 consumer. */
  kind: number
  traceId: string
  spanId: string
  parentSpanId: string | undefined
}

/** A child process running `nodeWorker.mjs`, before or after its node has started. */
export interface NodeWorker {
  readonly id: string
  readonly child: ChildProcess
  /** Everything the worker reported, in order. */
  readonly events: WorkerEvent[]
  readonly alive: boolean
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>
  /** Sends a command (see nodeWorker.mjs); rejects with its error, when the process exits, or after `timeoutMs`. */
  request<T = Record<string, unknown>>(command: Record<string, unknown>, timeoutMs?: number): Promise<T>
  /** Resolves with the first event, already seen or to come, that `match` accepts. @default timeoutMs 10_000 */
  waitFor(match: (event: WorkerEvent) => boolean, timeoutMs?: number): Promise<WorkerEvent>
  /** Starts `createNode(options)` in the worker; resolves with its URL (when it listens) and incarnation. */
  start(
    options: Record<string, unknown>,
    extra?: {
      logFile?: string
      clientHosts?: Record<string, string>
      sqlite?: string
      /** NATS storage (`natsStorage`'s options) instead of SQLite. */
      nats?: { servers: string | string[]; bucket?: string; leaseTtlMs?: number }
      counter?: boolean
      authenticate?: WorkerAuthenticate
      /** No `deadletter` event per dead letter (a flood's would swamp the channel): `metrics` counts them. */
      quiet?: boolean
      traced?: boolean
    },
  ): Promise<{ url: string | undefined; incarnation: number }>
  /** With `traced` started: the spans finished so far. */
  spans(): Promise<SpanInfo[]>
  ask(to: string, message: unknown, options?: { timeoutMs?: number }): Promise<AskResult>
  /** Asks the entity `key` of `kind` (with `counter` started, kind `counter` answers `{ n, on }`). */
  askEntity(kind: string, key: string, message: unknown, options?: { timeoutMs?: number }): Promise<AskResult>
  /** What recorder `name` (by default `log`) received, in order. */
  received(name?: string): Promise<unknown[]>
  /** The `seq`s of the numbered messages from node `from` that recorder `name` (by default `log`) received, in order. */
  numbersFrom(from: string, name?: string): Promise<number[]>
  /** Sends `{ from, seq }` for seq `first` … `first + count - 1` to `to`; resolves with how many were accepted. */
  sendNumbered(to: string, first: number, count: number, options?: { ttlMs?: number }): Promise<number>
  /** Starts a numbered stream in the worker (one at a time). */
  stream(options: StreamOptions): Promise<void>
  /** Stops the stream; resolves with the final counts sent per target. */
  streamStop(): Promise<Record<string, number>>
  members(): Promise<WorkerMember[]>
  metrics<T = unknown>(): Promise<T>
  /** The worker's memory, after two full garbage collections when `gc`. */
  memory(gc?: boolean): Promise<WorkerMemory>
  /** Starts sampling the worker's memory every `everyMs` (one sampler at a time). */
  startMemorySampler(everyMs?: number): Promise<void>
  /** Stops the sampler; resolves with the peaks it saw, and how long the event loop was held up meanwhile. */
  stopMemorySampler(): Promise<MemoryPeaks>
  /** Starts asking `to`, one ask at a time, until {@link NodeWorker.stopProbe} (one probe at a time). */
  startProbe(to: string, options?: { intervalMs?: number; timeoutMs?: number }): Promise<void>
  /** Stops the probe; resolves with its asks' latencies. */
  stopProbe(): Promise<ProbeResult>
  internals(): Promise<WorkerInternals>
  /** The worker's CPU time so far (`process.cpuUsage()`), in microseconds. */
  cpu(): Promise<{ user: number; system: number }>
  /** Closes the node cleanly (it leaves the cluster); the process stays. */
  close(): Promise<void>
  /** Kills the process (SIGKILL unless told otherwise) and waits until it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>
}

/** A worker whose node has started. */
export interface StartedNodeWorker extends NodeWorker {
  /** The node's URL, `''` for a node that does not listen. */
  readonly url: string
  readonly incarnation: number
}

const children = new Set<ChildProcess>()
// a test process that dies mid-run takes its workers with it
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

/**
 * Forks a worker process (its node not started yet: see {@link NodeWorker.start}).
 *
 * @example
 * ```ts
 * const worker = forkNodeWorker('h1')
 * await worker.start({ id: 'h1', listen: { host: '127.0.0.1', port: 0 } }, { logFile })
 * ```
 */
export function forkNodeWorker(id: string): NodeWorker {
  const child = fork(SCRIPT, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  children.add(child)
  const events: WorkerEvent[] = []
  const waiting = new Map<number, { resolve(reply: Record<string, unknown>): void; reject(e: Error): void }>()
  const watchers = new Set<() => void>()
  let alive = true
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      alive = false
      children.delete(child)
      for (const waiter of waiting.values())
        waiter.reject(new Error(`worker ${id} exited (${signal ?? code})`))
      waiting.clear()
      resolve()
    }),
  )
  child.on('error', () => {}) // a send to a dying child; 'exit' tells the rest
  let nextAsk = 1
  child.on('message', (message: Record<string, unknown>) => {
    if (typeof message.reply === 'number') {
      const waiter = waiting.get(message.reply)
      waiting.delete(message.reply)
      if (message.error !== undefined) waiter?.reject(new Error(`worker ${id}: ${String(message.error)}`))
      else waiter?.resolve(message)
    } else {
      events.push(message as WorkerEvent)
      for (const watch of watchers) watch()
    }
  })

  const request = <T>(command: Record<string, unknown>, timeoutMs = 30_000): Promise<T> => {
    if (!alive) return Promise.reject(new Error(`worker ${id} is not running`))
    const ask = nextAsk++
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(ask)
        reject(new Error(`worker ${id}: no answer to ${String(command.cmd)} within ${timeoutMs} ms`))
      }, timeoutMs)
      waiting.set(ask, {
        resolve: (reply) => {
          clearTimeout(timer)
          resolve(reply as T)
        },
        reject: (error) => {
          clearTimeout(timer)
          reject(error)
        },
      })
      child.send({ ...command, ask })
    })
  }

  return {
    id,
    child,
    events,
    exited,
    get alive() {
      return alive
    },
    request,
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
            new Error(
              `worker ${id}: no matching event within ${timeoutMs} ms; saw ${JSON.stringify(events)}`,
            ),
          )
        }, timeoutMs)
        watchers.add(check)
        check()
      })
    },
    async start(options, extra = {}) {
      const { url, incarnation } = await request<{ url: string | undefined; incarnation: number }>({
        cmd: 'start',
        options,
        ...extra,
      })
      return { url, incarnation }
    },
    ask: async (to, message, options) =>
      (await request<{ result: AskResult }>({ cmd: 'ask', to, message, timeoutMs: options?.timeoutMs }))
        .result,
    askEntity: async (kind, key, message, options) =>
      (
        await request<{ result: AskResult }>(
          { cmd: 'askEntity', kind, key, message, timeoutMs: options?.timeoutMs },
          (options?.timeoutMs ?? 5_000) + 5_000,
        )
      ).result,
    received: async (name = 'log') =>
      (await request<{ received: unknown[] }>({ cmd: 'received', name })).received,
    numbersFrom: async (from, name = 'log') =>
      (await request<{ received: number[] }>({ cmd: 'received', name, from })).received,
    sendNumbered: async (to, first, count, options) =>
      (await request<{ accepted: number }>({ cmd: 'sendNumbered', to, first, count, ttlMs: options?.ttlMs }))
        .accepted,
    async stream(options) {
      await request({ cmd: 'stream', ...options })
    },
    streamStop: async () => (await request<{ sent: Record<string, number> }>({ cmd: 'streamStop' })).sent,
    spans: async () => (await request<{ spans: SpanInfo[] }>({ cmd: 'spans' })).spans,
    members: async () => (await request<{ members: WorkerMember[] }>({ cmd: 'members' })).members,
    metrics: async <T>() => (await request<{ metrics: T }>({ cmd: 'metrics' })).metrics,
    async memory(gc = true) {
      const { memory } = await request<{ memory: WorkerMemory }>({ cmd: 'memory', gc })
      if (!gc) return memory
      // a second collection frees what the first one's finalizers let go of
      return (await request<{ memory: WorkerMemory }>({ cmd: 'memory', gc })).memory
    },
    async startMemorySampler(everyMs = 20) {
      await request({ cmd: 'memorySampler', action: 'start', everyMs })
    },
    stopMemorySampler: async () =>
      (await request<{ peaks: MemoryPeaks }>({ cmd: 'memorySampler', action: 'stop' })).peaks,
    async startProbe(to, options = {}) {
      await request({ cmd: 'probe', action: 'start', to, ...options })
    },
    stopProbe: () => request<ProbeResult>({ cmd: 'probe', action: 'stop' }),
    internals: async () => (await request<{ internals: WorkerInternals }>({ cmd: 'internals' })).internals,
    cpu: async () => (await request<{ cpu: { user: number; system: number } }>({ cmd: 'cpu' })).cpu,
    async close() {
      await request({ cmd: 'close' })
    },
    async kill(signal = 'SIGKILL') {
      if (alive) child.kill(signal)
      await exited
    },
  }
}

/**
 * Forks a worker and starts a node `id` in it with `options` (those of
 * `@troupe/node`'s createNode, plus `extra`: see {@link NodeWorker.start});
 * kills the worker if the node does not start.
 *
 * @example
 * ```ts
 * const a = await startNodeWorker('a', { listen: { host: '127.0.0.1', port: 0 } })
 * const b = await startNodeWorker('b', { seeds: [a.url] })
 * await a.waitFor((e) => e.event === 'member-up' && e.id === 'b')
 * ```
 */
export async function startNodeWorker(
  id: string,
  options: Record<string, unknown> = {},
  extra: Parameters<NodeWorker['start']>[1] = {},
): Promise<StartedNodeWorker> {
  const worker = forkNodeWorker(id)
  try {
    const { url, incarnation } = await worker.start({ id, ...options }, extra)
    return Object.assign(worker, { url: url ?? '', incarnation })
  } catch (error) {
    await worker.kill()
    throw error
  }
}
