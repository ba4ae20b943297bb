import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url))

// Tests import packages by name; these aliases point the names at source, so no build is needed.
const alias = [
  { find: /^@troupe\/core\/testing$/, replacement: src('core/src/testing.ts') },
  { find: /^@troupe\/core\/internal$/, replacement: src('core/src/internal.ts') },
  { find: /^@troupe\/core\/otel$/, replacement: src('core/src/otel.ts') },
  { find: /^@troupe\/core$/, replacement: src('core/src/index.ts') },
  { find: /^@troupe\/node$/, replacement: src('node/src/index.ts') },
  { find: /^@troupe\/browser$/, replacement: src('browser/src/index.ts') },
  { find: /^@troupe\/inspector\/serve$/, replacement: src('inspector/src/serve.ts') },
  { find: /^@troupe\/inspector$/, replacement: src('inspector/src/index.ts') },
]

const project = (name: string, root: string) => ({
  extends: true as const,
  test: { name, include: [`${root}/{src,test}/**/*.test.ts`] },
})

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      project('core', 'packages/core'),
      project('node', 'packages/node'),
      project('browser', 'packages/browser'),
      project('inspector', 'packages/inspector'),
      // checks on the repository as a whole: every test file runs, the packed packages install and type-check
      { extends: true, test: { name: 'repo', include: ['test/**/*.test.ts'] } },
    ],
    // a failing test that used the shared seed prints the command that replays it
    setupFiles: [fileURLToPath(new URL('./packages/test-support/src/vitestSetup.ts', import.meta.url))],
    testTimeout: 20_000,
  },
})
