// The board hub as a process: `node apps/board/dist/hub/main.js` once built (demo.mjs builds it).
// Env: HUB_PORT (default 9101), HUB_HOST (default 127.0.0.1), BOARD_DATA_DIR (default apps/board/.data),
// BOARD_SAVE_DEBOUNCE_MS (default 150), HUB_ADVERTISE_URL (the URL tabs should redial, behind a proxy).
// Prints one line starting with "ready " once it listens.
import { fileURLToPath } from 'node:url'
import { startBoardHub } from './hub.js'

// this file runs from dist/hub/, two levels below the app
const defaultDataDir = fileURLToPath(new URL('../../.data', import.meta.url))

const port = Number(process.env.HUB_PORT ?? 9101)
const debounce = process.env.BOARD_SAVE_DEBOUNCE_MS
const advertiseUrl = process.env.HUB_ADVERTISE_URL
const hub = await startBoardHub({
  host: process.env.HUB_HOST ?? '127.0.0.1',
  port,
  dataDir: process.env.BOARD_DATA_DIR ?? defaultDataDir,
  ...(debounce === undefined ? {} : { saveDebounceMs: Number(debounce) }),
  ...(advertiseUrl === undefined ? {} : { advertiseUrl }),
})
console.log(`ready ${hub.url} (board: ${hub.path})`)

const stop = (signal: string): void => {
  console.log(`[hub] ${signal}: closing`)
  hub.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error('[hub] close failed:', error)
      process.exit(1)
    },
  )
}
process.once('SIGINT', () => stop('SIGINT'))
process.once('SIGTERM', () => stop('SIGTERM'))
