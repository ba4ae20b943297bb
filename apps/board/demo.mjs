// `npm run demo`: builds the board (web app and hub) with Vite, starts two hubs, h1 and h2, sharing one
// SQLite file, serves the page with Vite's preview server, and takes commands on stdin to kill and
// start hubs (`kill h1`, `start h1`, ...). Ctrl-C stops everything.
// Env: HUB_PORTS (default 9101,9102: one hub per port, h1, h2, ...), PORT (default 5173),
// BOARD_DATA_DIR (default apps/board/.data).
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { build, preview } from 'vite'

const here = dirname(fileURLToPath(import.meta.url))
const host = '127.0.0.1'
const webPort = Number(process.env.PORT ?? 5173)
const hubPorts = (process.env.HUB_PORTS ?? '9101,9102').split(',').map(Number)
const dataDir = resolve(process.env.BOARD_DATA_DIR ?? join(here, '.data'))
const DEFAULT_PORTS = [9101, 9102]

if (hubPorts.length === 0 || hubPorts.some((port) => !Number.isInteger(port) || port <= 0)) {
  console.error(`[demo] bad HUB_PORTS "${process.env.HUB_PORTS}": expected ports separated by commas`)
  process.exit(1)
}
if (['node', 'inspector'].some((pkg) => !existsSync(join(here, `../../packages/${pkg}/dist/index.js`)))) {
  console.error(
    'The hubs run the built @troupe/node and @troupe/inspector: run "npm run build" at the repository root first.',
  )
  process.exit(1)
}

console.log('[demo] building the board (web app and hub)')
const configFile = join(here, 'vite.config.ts')
await build({ configFile, mode: 'production', logLevel: 'warn' })
await build({ configFile, mode: 'hub', logLevel: 'warn' })

/** The hubs: h1 on the first port, h2 on the second, ...; each knows the others' URLs. */
const hubs = hubPorts.map((port, i) => ({
  id: `h${i + 1}`,
  port,
  url: `ws://${host}:${port}`,
  /** @type {import('node:child_process').ChildProcess | undefined} */
  child: undefined,
  /** Set when the demo itself stops or kills it: no alarm when it exits. */
  expectExit: false,
}))

const running = (hub) =>
  hub.child !== undefined && hub.child.exitCode === null && hub.child.signalCode === null

let stopping = false

/** Starts `hub`; resolves once it listens. */
function startHub(hub) {
  const child = spawn(process.execPath, ['--enable-source-maps', join(here, 'dist/hub/main.js')], {
    env: {
      ...process.env,
      HUB_ID: hub.id,
      HUB_PORT: String(hub.port),
      HUB_HOST: host,
      HUB_SEEDS: hubs
        .filter((other) => other !== hub)
        .map((other) => other.url)
        .join(','),
      BOARD_DATA_DIR: dataDir,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  hub.child = child
  hub.expectExit = false
  child.once('exit', (code, signal) => {
    // Ctrl-C reaches the hubs too: they leave on their own while the demo stops
    if (!hub.expectExit && !stopping) {
      console.error(
        `[demo] hub ${hub.id} stopped (${signal ?? `exit code ${code}`}); "start ${hub.id}" brings it back`,
      )
    }
  })
  // each hub prints "ready <url> ..." once it listens; everything it prints is passed on
  return new Promise((resolveReady, rejectReady) => {
    child.once('exit', () => rejectReady(new Error(`hub ${hub.id} exited before it was ready`)))
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('ready ')) resolveReady(line)
      else console.log(line)
    })
  })
}

/** Ends `hub` with `signal` (SIGKILL: a crash; SIGTERM: it leaves the cluster); resolves once it exited. */
async function endHub(hub, signal) {
  if (!running(hub)) return
  hub.expectExit = true
  const exited = new Promise((resolveExit) => hub.child.once('exit', resolveExit))
  hub.child.kill(signal)
  await exited
}

for (const hub of hubs) await startHub(hub)

const web = await preview({
  configFile,
  logLevel: 'warn',
  preview: { host, port: webPort, strictPort: true, open: false },
}).catch(async (error) => {
  console.error(
    `[demo] cannot serve the page on ${host}:${webPort}: ${error.message} (set PORT to use another port)`,
  )
  await Promise.all(hubs.map((hub) => endHub(hub, 'SIGTERM')))
  process.exit(1)
})

const defaultHubs =
  hubPorts.length === DEFAULT_PORTS.length && hubPorts.every((p, i) => p === DEFAULT_PORTS[i])
const pageUrl = defaultHubs
  ? `http://${host}:${webPort}`
  : `http://${host}:${webPort}/?hub=${hubs.map((hub) => hub.url).join(',')}`

const status = () => {
  for (const hub of hubs) {
    const state = running(hub) ? `pid ${hub.child.pid}` : 'not running'
    console.log(`  ${hub.id}  ${hub.url}  ${state}`)
  }
}

console.log(`\nTroupe board: open ${pageUrl} in two windows\n`)
status()
console.log(`  the board is saved in ${join(dataDir, 'troupe.db')} (shared by the hubs)\n`)
console.log('  kill a hub   type "kill h1" here (SIGKILL), or "kill -9 <pid>" in another terminal')
console.log('  and then     "start h1" brings it back; "stop h1" makes it leave (SIGTERM); "status"')
console.log('  stop all     Ctrl-C\n')

const commands = createInterface({ input: process.stdin })
commands.on('line', async (line) => {
  const [command, id] = line.trim().split(/\s+/)
  if (command === undefined || command === '') return
  if (command === 'status') return status()
  const hub = hubs.find((h) => h.id === id)
  if (!['kill', 'stop', 'start'].includes(command) || hub === undefined) {
    console.log(
      `[demo] commands: kill <hub>, stop <hub>, start <hub>, status (hubs: ${hubs.map((h) => h.id).join(', ')})`,
    )
    return
  }
  try {
    if (command === 'start') {
      if (running(hub)) console.log(`[demo] ${hub.id} is running already (pid ${hub.child.pid})`)
      else console.log(`[demo] started ${hub.id} again: ${await startHub(hub)}`)
    } else if (!running(hub)) {
      console.log(`[demo] ${hub.id} is not running`)
    } else {
      const pid = hub.child.pid
      await endHub(hub, command === 'kill' ? 'SIGKILL' : 'SIGTERM')
      console.log(
        `[demo] ${command === 'kill' ? 'killed' : 'stopped'} ${hub.id} (pid ${pid}); "start ${hub.id}" brings it back`,
      )
    }
  } catch (error) {
    console.error(`[demo] ${command} ${hub.id} failed: ${error.message}`)
  }
})

const stop = async (signal) => {
  if (stopping) return
  stopping = true
  console.log(`\n[demo] ${signal}: stopping`)
  commands.close()
  await web.close()
  // the hubs leave the cluster (the tabs see them go); one that does not within 5 s is killed
  const timeout = setTimeout(() => {
    for (const hub of hubs) if (running(hub)) hub.child.kill('SIGKILL')
  }, 5_000)
  await Promise.all(hubs.map((hub) => endHub(hub, 'SIGTERM')))
  clearTimeout(timeout)
  process.exit(0)
}
process.on('SIGINT', () => void stop('SIGINT'))
process.on('SIGTERM', () => void stop('SIGTERM'))
