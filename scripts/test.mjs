// `npm test`: installs what is missing, builds and typechecks every package, lints,
// runs every test, and ends with one summary line "N passed, N failed".
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync } from 'node:fs'

const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', FORCE_COLOR: process.env.CI ? '0' : '1' }
const run = (command, args) => {
  console.log(`\n$ ${command} ${args.join(' ')}`)
  return spawnSync(command, args, { stdio: 'inherit', env }).status ?? 1
}
const steps = [
  ['node', ['scripts/setup.mjs']],
  ['npx', ['turbo', 'run', 'build', 'typecheck', '--output-logs=errors-only']],
  ['npx', ['biome', 'check', '.']],
]
for (const [command, args] of steps) {
  if (run(command, args) !== 0) {
    console.log(`\n0 passed, 1 failed: "${command} ${args.join(' ')}" failed`)
    process.exit(1)
  }
}

mkdirSync('.cache', { recursive: true })
const report = '.cache/vitest.json'
const vitest = run('npx', [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
])
let passed = 0
let failed = vitest === 0 ? 0 : 1
try {
  const json = JSON.parse(readFileSync(report, 'utf8'))
  passed = json.numPassedTests
  failed = json.numFailedTests + (json.numTotalTests - json.numPassedTests - json.numFailedTests)
  if (vitest !== 0 && failed === 0) failed = 1
} catch {
  // no report: vitest itself failed, which counts as a failure above
}
console.log(`\n${passed} passed, ${failed} failed`)
process.exit(vitest === 0 && failed === 0 && passed > 0 ? 0 : 1)
