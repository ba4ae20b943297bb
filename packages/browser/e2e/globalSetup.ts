// Bundles the test page with Vite before any spec runs. The page imports @troupe/browser and
// @troupe/core from source, so it needs no package build; the hub processes run the built
// @troupe/node, so that one must be built.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'vite'
import { APP_DIR, APP_DIST, PACKAGES } from './support/paths.js'

const source = (path: string) => join(PACKAGES, path)

export default async function globalSetup(): Promise<void> {
  for (const pkg of ['core', 'node']) {
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
        { find: /^@troupe\/core\/otel$/, replacement: source('core/src/otel.ts') },
        { find: /^@troupe\/core$/, replacement: source('core/src/index.ts') },
        { find: /^@troupe\/browser$/, replacement: source('browser/src/index.ts') },
      ],
    },
    build: { outDir: APP_DIST, emptyOutDir: true, target: 'es2022', minify: false, sourcemap: true },
  })
}
