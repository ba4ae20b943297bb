/**
 * Child processes of the benchmarks: a TypeScript module (run through tsx)
 * that answers calls from the driver over IPC. A child may be pinned to one
 * core with `taskset` and have its open-file limit raised; it never outlives
 * the driver. The child's side is {@link serveCalls} in `childServer.ts`.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { canPin, raiseOpenFilesCommand } from './system.js'

/** The functions a child offers, by name; arguments and results cross IPC as JSON. */
// biome-ignore lint/suspicious/noExplicitAny: handler parameters are checked at the call site, through `Child.call`
export type Handlers = Record<string, (...args: any[]) => unknown>

/** Driver → child. @internal */
export interface CallMessage {
  id: number
  method: string
  args: unknown[]
}

/** Child → driver. @internal */
export type AnswerMessage =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: string }
  | { id: -1; ok: false; error: string }

/** How to start a child. */
export interface ChildOptions {
  /** The module to run, e.g. `new URL('./worker.ts', import.meta.url)`. */
  module: URL
  /** Names the child in errors. */
  name: string
  /** Pin the child to this core (or `taskset` list of cores, `0,2-3`); ignored where taskset does not work. */
  cpu?: number | string
  /** Raise the open-file limit (see `raiseOpenFilesCommand`) before starting Node. */
  raiseOpenFiles?: boolean
  /** Extra Node flags, e.g. `--expose-gc`. */
  nodeFlags?: string[]
}

/** A running child, made by {@link startChild}. */
export interface Child<THandlers extends Handlers> {
  readonly name: string
  readonly pid: number | undefined
  /** Calls `method` in the child; rejects with the child's error, or when it exits. */
  call<TMethod extends keyof THandlers & string>(
    method: TMethod,
    ...args: Parameters<THandlers[TMethod]>
  ): Promise<Awaited<ReturnType<THandlers[TMethod]>>>
  /** Resolves when the child has exited. */
  readonly exited: Promise<void>
  /** Kills the child at once (SIGKILL unless told otherwise). */
  kill(signal?: NodeJS.Signals): void
  /** Disconnects (the child exits on its own), then kills it if it is still alive after a grace period. */
  stop(): Promise<void>
}

const STOP_GRACE_MS = 3_000
const alive = new Set<ChildProcess>()
// a driver that exits or crashes mid-run takes its children with it
process.on('exit', () => {
  for (const child of alive) child.kill('SIGKILL')
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of alive) child.kill('SIGKILL')
    process.exit(130)
  })
}

/**
 * The command line that runs `options.module` under tsx, pinned and with the
 * open-file limit raised as asked; the IPC channel passes through to Node.
 */
export function childCommand(options: Omit<ChildOptions, 'name'>): [string, ...string[]] {
  // resolved here, not by the child: `--import tsx` alone resolves from the cwd, which may not see tsx
  const node = [
    process.execPath,
    ...(options.nodeFlags ?? []),
    // e.g. BENCH_NODE_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/profiles' to profile every child
    ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean),
    '--import',
    import.meta.resolve('tsx'),
    fileURLToPath(options.module),
  ]
  const pinned =
    options.cpu !== undefined && canPin() ? ['taskset', '-c', String(options.cpu), ...node] : node
  // exec keeps the pid: killing the child kills Node itself
  return options.raiseOpenFiles
    ? ['bash', '-c', `${raiseOpenFilesCommand()}; exec "$@"`, 'bash', ...pinned]
    : (pinned as [string, ...string[]])
}

/**
 * Starts a child process running `options.module`, which must call `serveCalls`.
 *
 * @example
 * const child = startChild<EchoHandlers>({ module: new URL('./echo.ts', import.meta.url), name: 'echo', cpu: 1 })
 * await child.call('start', 'ws')
 * await child.stop()
 */
export function startChild<THandlers extends Handlers>(options: ChildOptions): Child<THandlers> {
  const [command, ...args] = childCommand(options)
  const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  alive.add(child)
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>()
  let nextId = 0
  let failure: Error | undefined
  const fail = (error: Error) => {
    failure ??= error
    for (const call of pending.values()) call.reject(failure)
    pending.clear()
  }
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      alive.delete(child)
      fail(new Error(`${options.name} exited (${signal ?? `code ${code}`})`))
      resolve()
    })
  })
  child.on('error', fail)
  child.on('message', (answer: AnswerMessage) => {
    if (!answer.ok && answer.id === -1) return fail(new Error(`${options.name}: ${answer.error}`))
    const call = pending.get(answer.id)
    if (call === undefined) return
    pending.delete(answer.id)
    if (answer.ok) call.resolve(answer.value)
    else call.reject(new Error(`${options.name}: ${answer.error}`))
  })

  return {
    name: options.name,
    pid: child.pid,
    exited,
    call(method, ...callArgs) {
      if (failure !== undefined) return Promise.reject(failure)
      const id = nextId++
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
        child.send({ id, method, args: callArgs } satisfies CallMessage)
      })
    },
    kill(signal = 'SIGKILL') {
      if (alive.has(child)) child.kill(signal)
    },
    async stop() {
      if (!alive.has(child)) return
      if (child.connected) child.disconnect()
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
      // bounded even if the child never reports an exit (it failed to spawn)
      const gaveUp = new Promise<void>((resolve) => setTimeout(resolve, 2 * STOP_GRACE_MS).unref())
      await Promise.race([exited, gaveUp])
      clearTimeout(timer)
    },
  }
}

/** Stops every child in `children` (those that started), in parallel. */
export async function stopAll(children: Iterable<{ stop(): Promise<void> } | undefined>): Promise<void> {
  await Promise.all([...children].map((child) => child?.stop()))
}
