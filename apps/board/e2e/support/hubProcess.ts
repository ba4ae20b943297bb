import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { APP_DIR } from './paths.js'

const MAIN = join(APP_DIR, 'dist/hub/main.js')

export interface HubProcessOptions {
  port: number
  dataDir: string
  /** Quiet time before the board is written. @default the hub's (150 ms) */
  saveDebounceMs?: number
  /** The URL tabs should redial (a proxy in front of the hub). */
  advertiseUrl?: string
}

/** The board hub (`dist/hub/main.js`) in its own process. */
export interface HubProcess {
  /** `ws://127.0.0.1:<port>` */
  readonly url: string
  readonly port: number
  readonly dataDir: string
  /** The board file. */
  readonly boardFile: string
  /** Everything the process printed, every run. */
  readonly output: string[]
  readonly alive: boolean
  /** Kills the process (SIGKILL unless told otherwise) and waits until it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>
  /** Starts the hub again: same port, same data. */
  restart(): Promise<void>
}

export async function startHubProcess(options: HubProcessOptions): Promise<HubProcess> {
  const output: string[] = []
  let child: ChildProcess | undefined
  let exited: Promise<void> = Promise.resolve()

  const run = async (): Promise<void> => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HUB_PORT: String(options.port),
      HUB_HOST: '127.0.0.1',
      BOARD_DATA_DIR: options.dataDir,
    }
    if (options.saveDebounceMs !== undefined) env.BOARD_SAVE_DEBOUNCE_MS = String(options.saveDebounceMs)
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
        reject(new Error(`the hub exited before it was ready (${signal ?? code}):\n${output.join('\n')}`)),
      )
    })
  }

  await run()
  const alive = (): boolean => child !== undefined && child.exitCode === null && child.signalCode === null
  return {
    url: `ws://127.0.0.1:${options.port}`,
    port: options.port,
    dataDir: options.dataDir,
    boardFile: join(options.dataDir, 'board.json'),
    output,
    get alive() {
      return alive()
    },
    async kill(signal = 'SIGKILL') {
      if (alive()) child?.kill(signal)
      await exited
    },
    async restart() {
      if (alive()) throw new Error('the hub is still running')
      output.push('--- restart')
      await run()
    },
  }
}
