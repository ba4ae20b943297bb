// Builds the board before any spec runs, as `npm run demo` does: the web app (which takes
// @troupe/browser, @troupe/core and @troupe/inspector from source) and the hub (which runs the built
// @troupe/node and @troupe/inspector).
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'vite'
import { APP_DIR, PACKAGES } from './support/paths.js'

export default async function globalSetup(): Promise<void> {
  for (const pkg of ['core', 'node', 'inspector']) {
    if (!existsSync(join(PACKAGES, pkg, 'dist', 'index.js'))) {
      throw new Error(`packages/${pkg} is not built (the hub runs it): run "npx turbo run build" first`)
    }
  }
  const configFile = join(APP_DIR, 'vite.config.ts')
  await build({ configFile, mode: 'production', logLevel: 'warn' })
  await build({ configFile, mode: 'hub', logLevel: 'warn' })
}
