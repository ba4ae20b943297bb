// The one Playwright setup of the repo's browser test suites: headless Debian Chromium
// (`npx playwright install` cannot download browsers here), one worker, a JSON report
// that scripts/test.mjs counts.
import { join } from 'node:path'
import { defineConfig, type PlaywrightTestConfig } from '@playwright/test'

/** A config for the suite in `<dir>/e2e`, results in `<dir>/test-results`; `overrides` are merged over it. */
export function chromiumSuite(dir: string, overrides: PlaywrightTestConfig = {}): PlaywrightTestConfig {
  const results = join(dir, 'test-results')
  // keep Chromium's config and caches out of $HOME (the workers inherit this environment)
  process.env.XDG_CONFIG_HOME = join(results, '.xdg', 'config')
  process.env.XDG_CACHE_HOME = join(results, '.xdg', 'cache')
  const base: PlaywrightTestConfig = {
    testDir: join(dir, 'e2e'),
    outputDir: results,
    globalSetup: join(dir, 'e2e', 'globalSetup.ts'),
    workers: 1,
    retries: 0,
    forbidOnly: true,
    timeout: 60_000,
    expect: { timeout: 10_000 },
    reporter: [['list'], ['json', { outputFile: join(results, 'e2e.json') }]],
    use: {
      browserName: 'chromium',
      headless: true,
      screenshot: 'only-on-failure',
      launchOptions: {
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
  }
  return defineConfig(base, overrides)
}
