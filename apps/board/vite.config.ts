import { fileURLToPath } from 'node:url'
import { defineConfig, type UserConfig } from 'vite'

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))
const packageSource = (path: string) => here(`../../packages/${path}`)

/**
 * Two builds from one config:
 * - the web app (default mode): `dist/web`, with `@troupe/browser`, `@troupe/core` and
 *   `@troupe/inspector` taken from their sources, so the page needs no package build;
 * - the hub (`--mode hub`): `dist/hub/main.js` for Node, which imports the built `@troupe/node`
 *   and `@troupe/inspector/serve` at run time (`npm run build` at the root builds them).
 *
 * The demo serves `dist/web` with Vite's preview server (demo.mjs).
 */
export default defineConfig(({ mode }): UserConfig => {
  if (mode === 'hub') {
    return {
      root: here('.'),
      publicDir: false,
      logLevel: 'warn',
      build: {
        ssr: true,
        outDir: here('dist/hub'),
        emptyOutDir: true,
        target: 'node20',
        minify: false,
        sourcemap: true,
        rolldownOptions: {
          input: { main: here('hub/main.ts') },
          external: [/^@troupe\//, /^node:/],
          output: { entryFileNames: '[name].js', format: 'es' },
        },
      },
    }
  }
  return {
    root: here('.'),
    base: './',
    resolve: {
      alias: [
        { find: /^@troupe\/core\/internal$/, replacement: packageSource('core/src/internal.ts') },
        { find: /^@troupe\/core$/, replacement: packageSource('core/src/index.ts') },
        { find: /^@troupe\/browser$/, replacement: packageSource('browser/src/index.ts') },
        { find: /^@troupe\/inspector$/, replacement: packageSource('inspector/src/index.ts') },
      ],
    },
    server: { host: '127.0.0.1', port: 5173 },
    preview: { host: '127.0.0.1', port: 5173, strictPort: true },
    build: {
      outDir: here('dist/web'),
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: true,
    },
  }
})
