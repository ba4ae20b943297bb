// `npm test`: installs what is missing, builds and typechecks every package, lints,
// runs every test (unit and integration with vitest, browser with Playwright in
// real Chromium), and ends with one summary line "N passed, N failed".
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'

const env = {
  ...process.env,
  TURBO_TELEMETRY_DISABLED: '1',
  FORCE_COLOR: process.env.CI ? '0' : '1',
  XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME ?? `${process.cwd()}/.cache/config`,
  XDG_CACHE_HOME: process.env.XDG_CACHE_HOME ?? `${process.cwd()}/.cache/xdg`,
}
const run = (command, args) => {
  console.log(`\n$ ${command} ${args.join(' ')}`)
  return spawnSync(command, args, { stdio: 'inherit', env }).status ?? 1
}
const fail = (what) => {
  console.log(`\n0 passed, 1 failed: ${what}`)
  process.exit(1)
}

for (const [command, args] of [
  ['node', ['scripts/setup.mjs']],
  ['npx', ['turbo', 'run', 'build', 'typecheck', '--output-logs=errors-only']],
  ['npx', ['tsc', '-p', 'test/tsconfig.json']],
  ['npx', ['biome', 'check', '.']],
]) {
  if (run(command, args) !== 0) fail(`"${command} ${args.join(' ')}" failed`)
}

mkdirSync('.cache', { recursive: true })
const totals = { passed: 0, failed: 0 }
const readJson = (path) => {
  try {
    return JSON.parse(readFileSync(path, 'utf8'))
  } catch {
    return undefined
  }
}

// unit and integration tests
const vitestReport = '.cache/vitest.json'
rmSync(vitestReport, { force: true })
const vitest = run('npx', [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${vitestReport}`,
])
const vitestJson = readJson(vitestReport)
totals.passed += vitestJson?.numPassedTests ?? 0
totals.failed += vitestJson === undefined ? 1 : vitestJson.numTotalTests - vitestJson.numPassedTests
if (vitest !== 0 && totals.failed === 0) totals.failed = 1

// browser tests in real Chromium, one Playwright config per package that has them
for (const config of [
  'packages/browser/playwright.config.ts',
  'packages/inspector/playwright.config.ts',
  'apps/board/playwright.config.ts',
]) {
  if (!existsSync(config)) continue
  const report = `${config.slice(0, config.lastIndexOf('/'))}/test-results/e2e.json`
  rmSync(report, { force: true })
  const status = run('npx', ['playwright', 'test', '-c', config])
  const stats = readJson(report)?.stats
  const skipped = stats?.skipped ?? 0
  totals.passed += stats?.expected ?? 0
  totals.failed += stats === undefined ? 1 : stats.unexpected + stats.flaky + skipped
  if (skipped > 0) console.log(`${config}: ${skipped} skipped test(s) count as failures`)
  if (status !== 0 && (stats === undefined || stats.unexpected === 0)) totals.failed += 1
}

console.log(`\n${totals.passed} passed, ${totals.failed} failed`)
process.exit(totals.failed === 0 && totals.passed > 0 ? 0 : 1)
