// `npm run size -w @troupe/inspector`: bundles the inspector element for browsers the way an app's bundler
// would (minified, every dependency included), prints its size, and fails if anything imports a Node
// built-in. @troupe/core is taken from source; the element needs only its types, so none of it ships.
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'vite'
import { noNodeBuiltins } from '../../../scripts/noNodeBuiltins.mjs'

const packages = (path) => fileURLToPath(new URL(`../../${path}`, import.meta.url))

const sizeOf = async (entry, name) => {
  const output = await build({
    configFile: false,
    envDir: false,
    logLevel: 'warn',
    root: packages('inspector'),
    resolve: {
      alias: [
        { find: /^@troupe\/core\/internal$/, replacement: packages('core/src/internal.ts') },
        { find: /^@troupe\/core$/, replacement: packages('core/src/index.ts') },
      ],
    },
    plugins: [noNodeBuiltins],
    build: {
      lib: { entry: packages(entry), formats: ['es'], fileName: name },
      write: false,
      target: 'es2022',
      minify: true,
      rolldownOptions: { platform: 'browser', output: { minify: true } },
    },
  })
  const code = (Array.isArray(output) ? output : [output])
    .flatMap((result) => result.output)
    .filter((chunk) => chunk.type === 'chunk')
    .map((chunk) => chunk.code)
    .join('\n')
  if (code.includes('__vite-browser-external'))
    throw new Error(`${name}: the bundle contains a stubbed-out Node module`)
  return { min: Buffer.byteLength(code), gzip: gzipSync(code, { level: 9 }).byteLength }
}

const kB = (bytes) => (bytes / 1000).toFixed(1)
try {
  for (const [entry, label] of [
    ['inspector/src/index.ts', 'the <troupe-inspector> element (@troupe/inspector)'],
    ['inspector/src/serve.ts', 'the hub actor (@troupe/inspector/serve)'],
  ]) {
    const { min, gzip } = await sizeOf(entry, label.replace(/\W+/g, '-'))
    console.log(`${label}: ${kB(min)} kB min, ${kB(gzip)} kB min+gzip`)
  }
} catch (error) {
  console.error(`the inspector bundle did not build: ${error instanceof Error ? error.message : error}`)
  process.exit(1)
}
