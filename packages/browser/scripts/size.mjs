// `npm run size`: bundles @troupe/browser (core and every dependency included) for browsers the way an app's
// bundler would, minified, and prints its size. No Node polyfills: the build fails if anything imports a
// Node built-in. Core is taken from source, so no build is needed first.
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'vite'
import { noNodeBuiltins } from '../../../scripts/noNodeBuiltins.mjs'

const TARGET_KB = 20
const packages = (path) => fileURLToPath(new URL(`../../${path}`, import.meta.url))

let output
try {
  output = await build({
    configFile: false,
    envDir: false,
    logLevel: 'warn',
    root: packages('browser'),
    resolve: {
      alias: [
        { find: /^@troupe\/core\/internal$/, replacement: packages('core/src/internal.ts') },
        { find: /^@troupe\/core$/, replacement: packages('core/src/index.ts') },
      ],
    },
    plugins: [noNodeBuiltins],
    build: {
      lib: { entry: packages('browser/src/index.ts'), formats: ['es'], fileName: 'troupe-browser' },
      write: false,
      target: 'es2022',
      minify: true,
      rolldownOptions: {
        platform: 'browser',
        // Vite leaves whitespace in ES library builds (for the app's bundler to minify); measure what ships
        output: { minify: true },
      },
    },
  })
} catch (error) {
  console.error(`the browser bundle did not build: ${error instanceof Error ? error.message : error}`)
  process.exit(1)
}

const chunks = (Array.isArray(output) ? output : [output]).flatMap((result) => result.output)
const code = chunks
  .filter((chunk) => chunk.type === 'chunk')
  .map((chunk) => chunk.code)
  .join('\n')
if (code.includes('__vite-browser-external')) {
  console.error('the bundle contains a stubbed-out Node module')
  process.exit(1)
}
const kB = (bytes) => (bytes / 1000).toFixed(1)
const min = Buffer.byteLength(code)
const gzip = gzipSync(code, { level: 9 }).byteLength
console.log(`core + browser adapter: ${kB(min)} kB min, ${kB(gzip)} kB min+gzip (target < ${TARGET_KB} kB)`)

// where the bytes come from: rendered (tree-shaken, not yet minified) length per folder or package
const byPart = new Map()
for (const chunk of chunks.filter((chunk) => chunk.type === 'chunk')) {
  for (const [id, module] of Object.entries(chunk.modules)) {
    const inPackage = id.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)
    const inSource = id.match(/packages\/([^/]+)\/src\/(?:([^/]+)\/)?/)
    const part = inPackage?.[1] ?? (inSource ? `${inSource[1]}/${inSource[2] ?? '.'}` : id.replace(/^\0/, ''))
    byPart.set(part, (byPart.get(part) ?? 0) + module.renderedLength)
  }
}
const rendered = [...byPart.values()].reduce((sum, bytes) => sum + bytes, 0)
console.log('rendered size by part (before minifying):')
for (const [part, bytes] of [...byPart].sort((a, b) => b[1] - a[1]).filter(([, bytes]) => bytes >= 1000))
  console.log(
    `  ${part.padEnd(28)} ${kB(bytes).padStart(6)} kB  ${((100 * bytes) / rendered).toFixed(0).padStart(3)} %`,
  )
if (gzip >= TARGET_KB * 1000) {
  console.error(`over the target of ${TARGET_KB} kB min+gzip`)
  process.exitCode = 1
}
