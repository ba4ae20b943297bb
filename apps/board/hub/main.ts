// One board hub as a process: `node apps/board/dist/hub/main.js` once built (demo.mjs builds it).
// Env: HUB_ID (default h1), HUB_PORT (default 9101), HUB_HOST (default 127.0.0.1),
// HUB_SEEDS (the other hubs' URLs, comma-separated), BOARD_DATA_DIR (default apps/board/.data; the
// hubs of one machine share its troupe.db), HUB_ADVERTISE_URL (the URL tabs should redial, behind a proxy).
// Prints one line starting with "ready " once it listens.
import { fileURLToPath } from 'node:url'
import { startBoardHub } from './hub.js'

// this file runs from dist/hub/, two levels below the app
const defaultDataDir = fileURLToPath(new URL('../../.data', import.meta.url))

const id = process.env.HUB_ID ?? 'h1'
const advertiseUrl = process.env.HUB_ADVERTISE_URL
const hub = await startBoardHub({
  id,
  host: process.env.HUB_HOST ?? '127.0.0.1',
  port: Number(process.env.HUB_PORT ?? 9101),
  seeds: (process.env.HUB_SEEDS ?? '').split(',').filter((url) => url !== ''),
  dataDir: process.env.BOARD_DATA_DIR ?? defaultDataDir,
  ...(advertiseUrl === undefined ? {} : { advertiseUrl }),
})
console.log(`ready ${hub.url} (hub ${id}, pid ${process.pid}, board saved in ${hub.storageFile})`)

const stop = (signal: string): void => {
  console.log(`[${id}] ${signal}: closing`)
  hub.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`[${id}] close failed:`, error)
      process.exit(1)
    },
  )
}
process.once('SIGINT', () => stop('SIGINT'))
process.once('SIGTERM', () => stop('SIGTERM'))
