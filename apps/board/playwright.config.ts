import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from '@playwright/test'

const here = fileURLToPath(new URL('.', import.meta.url))
const results = join(here, 'test-results')

// keep Chromium's config and caches out of $HOME (the workers inherit this environment)
process.env.XDG_CONFIG_HOME = join(results, '.xdg', 'config')
process.env.XDG_CACHE_HOME = join(results, '.xdg', 'cache')

export default defineConfig({
  testDir: join(here, 'e2e'),
  outputDir: results,
  globalSetup: join(here, 'e2e', 'globalSetup.ts'),
  workers: 1,
  retries: 0,
  forbidOnly: true,
  timeout: 120_000,
  expect: { timeout: 15_000 },
  reporter: [['list'], ['json', { outputFile: join(results, 'e2e.json') }]],
  use: {
    browserName: 'chromium',
    headless: true,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      // `npx playwright install` cannot download here: Debian's Chromium
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
})
