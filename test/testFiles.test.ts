/**
 * Every test file in the repository runs in `npm test`: each `*.test.ts` /
 * `*.spec.ts` belongs to a vitest project (root vitest.config.ts) or to a
 * Playwright config that scripts/test.mjs runs. A test file outside all of
 * them would never run, and nobody would notice.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const REPO = fileURLToPath(new URL('..', import.meta.url))
const TEST_FILE = /\.(test|spec)\.[cm]?[jt]sx?$/

const run = (command: string, args: string[]): string =>
  execFileSync(command, args, { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })

/** Files in the repository (tracked, or new and not ignored), relative to its root. */
const repoFiles = (): string[] =>
  run('git', ['ls-files', '--cached', '--others', '--exclude-standard']).split('\n').filter(Boolean)

/** What vitest would run, relative to the root. */
function vitestFiles(): string[] {
  const listed = JSON.parse(run('npx', ['vitest', 'list', '--filesOnly', '--json'])) as Array<{
    file: string
  }>
  return listed.map((entry) => relative(REPO, entry.file))
}

/** What a Playwright config would run, relative to the root. */
function playwrightFiles(config: string): string[] {
  const listed = JSON.parse(
    run('npx', ['playwright', 'test', '--list', '--reporter=json', '-c', config]),
  ) as {
    config: { rootDir: string }
    suites: Array<{ file: string }>
    errors: unknown[]
  }
  expect(listed.errors, `${config}: errors while listing its tests`).toEqual([])
  return listed.suites.map((suite) => relative(REPO, join(listed.config.rootDir, suite.file)))
}

describe('the test files', () => {
  it('each belong to a vitest project or to a Playwright config that npm test runs', () => {
    const files = repoFiles()
    const testFiles = files.filter((file) => TEST_FILE.test(file)).sort()
    const configs = files.filter((file) => /(^|\/)playwright\.config\.[cm]?[jt]s$/.test(file))
    const npmTest = readFileSync(join(REPO, 'scripts/test.mjs'), 'utf8')
    for (const config of configs) {
      expect(npmTest, `scripts/test.mjs runs the Playwright config ${config}`).toContain(`'${config}'`)
    }
    const running = new Set([...vitestFiles(), ...configs.flatMap(playwrightFiles)])
    // not vacuous: the suites were found
    expect(running.size).toBeGreaterThan(20)
    expect(testFiles.filter((file) => !running.has(file))).toEqual([])
  }, 60_000)
})
