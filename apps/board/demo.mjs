// `npm run demo`: builds the board (web app and hub) with Vite, starts the hub and serves the page
// with Vite's preview server, and stops both on Ctrl-C.
// Env: HUB_PORT (default 9101), PORT (default 5173), BOARD_DATA_DIR (default apps/board/.data).
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { build, preview } from 'vite'

const here = dirname(fileURLToPath(import.meta.url))
const hubPort = Number(process.env.HUB_PORT ?? 9101)
const webPort = Number(process.env.PORT ?? 5173)
const host = '127.0.0.1'
const dataDir = resolve(process.env.BOARD_DATA_DIR ?? join(here, '.data'))

if (['node', 'inspector'].some((pkg) => !existsSync(join(here, `../../packages/${pkg}/dist/index.js`)))) {
  console.error(
    'The hub runs the built @troupe/node and @troupe/inspector: run "npm run build" at the repository root first.',
  )
  process.exit(1)
}

console.log('[demo] building the board (web app and hub)')
const configFile = join(here, 'vite.config.ts')
await build({ configFile, mode: 'production', logLevel: 'warn' })
await build({ configFile, mode: 'hub', logLevel: 'warn' })

const hub = spawn(process.execPath, ['--enable-source-maps', join(here, 'dist/hub/main.js')], {
  env: { ...process.env, HUB_PORT: String(hubPort), HUB_HOST: host, BOARD_DATA_DIR: dataDir },
  stdio: ['ignore', 'pipe', 'inherit'],
})
let stopping = false
const hubExited = new Promise((resolveExit) =>
  hub.once('exit', (code, signal) => resolveExit({ code, signal })),
)
hubExited.then(({ code, signal }) => {
  if (stopping) return
  console.error(`[demo] the hub stopped (${signal ?? `exit code ${code}`})`)
  process.exit(1)
})

// the hub prints "ready <url> ..." once it listens; everything it prints is passed on
const ready = new Promise((resolveReady) => {
  createInterface({ input: hub.stdout }).on('line', (line) => {
    if (line.startsWith('ready ')) resolveReady(line)
    else console.log(line)
  })
})
await ready

const web = await preview({
  configFile,
  logLevel: 'warn',
  preview: { host, port: webPort, strictPort: true, open: false },
}).catch((error) => {
  console.error(
    `[demo] cannot serve the page on ${host}:${webPort}: ${error.message} (set PORT to use another port)`,
  )
  hub.kill('SIGTERM')
  process.exit(1)
})
const webUrl = `http://${host}:${webPort}/`

const hubQuery = hubPort === 9101 ? '' : `?hub=ws://${host}:${hubPort}`
console.log(
  `\nTroupe board: open ${hubQuery === '' ? webUrl.replace(/\/$/, '') : webUrl + hubQuery} in two windows\n`,
)
console.log(`  hub   ws://${host}:${hubPort}  (board saved in ${join(dataDir, 'board.json')})`)
console.log('  stop  Ctrl-C\n')

const stop = async (signal) => {
  if (stopping) return
  stopping = true
  console.log(`\n[demo] ${signal}: stopping`)
  await web.close()
  // the hub leaves the cluster (tabs see it go) and writes the board
  if (hub.exitCode === null && hub.signalCode === null) hub.kill('SIGTERM')
  const timeout = setTimeout(() => hub.kill('SIGKILL'), 5_000)
  await hubExited
  clearTimeout(timeout)
  process.exit(0)
}
process.on('SIGINT', () => void stop('SIGINT'))
process.on('SIGTERM', () => void stop('SIGTERM'))
