// Installs the workspace's dependencies when they are missing or older than the lockfile,
// so that `npm test` and `npm run demo` work on a fresh clone.
import { execSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'

const marker = 'node_modules/.package-lock.json'
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync('package-lock.json').mtimeMs
if (stale) {
  console.log('[setup] installing dependencies (npm ci)')
  execSync('npm ci --no-audit --no-fund', { stdio: 'inherit' })
}
