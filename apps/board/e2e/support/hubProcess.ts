import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { APP_DIR } from './paths.js'

const MAIN = join(APP_DIR, 'dist/hub/main.js')

/** Options of {@link startHubProcess}. */
export interface HubProcessOptions {
  /** The hub's node id. */
  id: string
  port: number
  /** The data directory; hubs given the same one share the board (its `troupe.db`). */
  dataDir: string
  /** The other hubs' URLs. */
  seeds?: string[]
  /** The URL tabs should redial (a proxy in front of the hub). */
  advertiseUrl?: string
}

/** A board hub (`dist/hub/main.js`) in its own process. */
export interface HubProcess {
  readonly id: string
  /** `ws://127.0.0.1:<port>` */
  readonly url: string
  readonly port: number
  readonly dataDir: string
  /** The SQLite file the board is saved in. */
  readonly storageFile: string
  /** Everything the process printed, every run. */
  readonly output: string[]
  readonly alive: boolean
  /** The process id of the current run. */
  readonly pid: number | undefined
  /** Kills the process (SIGKILL unless told otherwise) and waits until it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>
  /** Starts the hub again: same id, port, seeds and data. */
  restart(): Promise<void>
}

/** Starts a hub process; resolves once it listens. */
export async function startHubProcess(options: HubProcessOptions): Promise<HubProcess> {
  const output: string[] = []
  let child: ChildProcess | undefined
  let exited: Promise<void> = Promise.resolve()

  const run = async (): Promise<void> => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HUB_ID: options.id,
      HUB_PORT: String(options.port),
      HUB_HOST: '127.0.0.1',
      HUB_SEEDS: (options.seeds ?? []).join(','),
      BOARD_DATA_DIR: options.dataDir,
    }
    if (options.advertiseUrl !== undefined) env.HUB_ADVERTISE_URL = options.advertiseUrl
    const started = spawn(process.execPath, ['--enable-source-maps', MAIN], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child = started
    exited = new Promise((resolve) => started.once('exit', () => resolve()))
    const lines = (stream: NodeJS.ReadableStream, tag: string) =>
      createInterface({ input: stream }).on('line', (line) => output.push(`${tag}${line}`))
    lines(started.stderr as NodeJS.ReadableStream, '[stderr] ')
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: started.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        output.push(line)
        if (line.startsWith('ready ')) resolve()
      })
      started.once('exit', (code, signal) =>
        reject(
          new Error(
            `hub ${options.id} exited before it was ready (${signal ?? code}):\n${output.join('\n')}`,
          ),
        ),
      )
    })
  }

  await run()
  const alive = (): boolean => child !== undefined && child.exitCode === null && child.signalCode === null
  return {
    id: options.id,
    url: `ws://127.0.0.1:${options.port}`,
    port: options.port,
    dataDir: options.dataDir,
    storageFile: join(options.dataDir, 'troupe.db'),
    output,
    get alive() {
      return alive()
    },
    get pid() {
      return child?.pid
    },
    async kill(signal = 'SIGKILL') {
      if (alive()) child?.kill(signal)
      await exited
    },
    async restart() {
      if (alive()) throw new Error(`hub ${options.id} is still running`)
      output.push('--- restart')
      await run()
    },
  }
}
