// Bundles the test page with Vite before any spec runs: it takes @troupe/browser, @troupe/core and
// @troupe/inspector from source. The hub processes run the built @troupe/node and @troupe/inspector.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'vite'
import { APP_DIR, APP_DIST, PACKAGES } from './support/paths.js'

const source = (path: string) => join(PACKAGES, path)

export default async function globalSetup(): Promise<void> {
  for (const pkg of ['core', 'node', 'inspector']) {
    if (!existsSync(join(PACKAGES, pkg, 'dist', 'index.js'))) {
      throw new Error(
        `packages/${pkg} is not built (the hub processes run it): run "npx turbo run build" first`,
      )
    }
  }
  await build({
    configFile: false,
    root: APP_DIR,
    base: './',
    logLevel: 'warn',
    resolve: {
      alias: [
        { find: /^@troupe\/core\/internal$/, replacement: source('core/src/internal.ts') },
        { find: /^@troupe\/core$/, replacement: source('core/src/index.ts') },
        { find: /^@troupe\/browser$/, replacement: source('browser/src/index.ts') },
        { find: /^@troupe\/inspector$/, replacement: source('inspector/src/index.ts') },
      ],
    },
    build: { outDir: APP_DIST, emptyOutDir: true, target: 'es2022', minify: false, sourcemap: true },
  })
}
