import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'

/** A real `nats-server` with JetStream, started by a test. */
export interface NatsServer {
  readonly url: string
  readonly port: number
  /** Where JetStream keeps its files: a restart on the same directory finds the buckets again. */
  readonly storeDir: string
  /** Stops the server (SIGTERM, or SIGKILL to make it vanish); removes the store directory if it made it. */
  stop(signal?: NodeJS.Signals): Promise<void>
}

const READY = /Listening for client connections on [\d.]+:(\d+)/
/** The Debian package puts the binary in /usr/sbin, which a user's PATH may lack. */
const BINARY =
  [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin']
    .map((dir) => join(dir, 'nats-server'))
    .find((path) => existsSync(path)) ?? 'nats-server'

/**
 * Starts `nats-server -js` on 127.0.0.1 (Debian package `nats-server`), on `port`
 * or on one the server picks, storing in `storeDir` or a new temporary directory.
 */
export async function startNatsServer(
  options: { port?: number; storeDir?: string } = {},
): Promise<NatsServer> {
  const storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), 'troupe-nats-'))
  const args = ['-js', '-a', '127.0.0.1', '-p', String(options.port ?? -1), '-sd', storeDir]
  const child = spawn(BINARY, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const port = await listeningPort(child, args)
  let stopped = false
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    async stop(signal = 'SIGTERM') {
      if (!stopped) child.kill(signal)
      stopped = true
      await exited
      if (options.storeDir === undefined) rmSync(storeDir, { recursive: true, force: true })
    },
  }
}

function listeningPort(child: ChildProcess, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    let log = ''
    const fail = (why: string) => {
      child.kill('SIGKILL')
      reject(new Error(`nats-server ${args.join(' ')}: ${why}\n${log}`))
    }
    const timer = setTimeout(() => fail('not listening after 10 s'), 10_000)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(new Error(`cannot run nats-server (apt-get install -y nats-server): ${error.message}`))
    })
    const onExit = (code: number | null) => {
      clearTimeout(timer)
      fail(`exited with ${code}`)
    }
    child.once('exit', onExit)
    child.stderr?.setEncoding('utf8')
    child.stderr?.on('data', (chunk: string) => {
      log += chunk
      const match = READY.exec(log)
      if (match) {
        clearTimeout(timer)
        child.off('exit', onExit)
        child.stderr?.removeAllListeners('data')
        child.stderr?.resume()
        resolve(Number(match[1]))
      }
    })
  })
}
