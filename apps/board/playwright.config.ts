import { fileURLToPath } from 'node:url'
import { chromiumSuite } from '../../scripts/playwrightConfig.js'

// the board's tests restart hubs and drive several tabs: more time per test
export default chromiumSuite(fileURLToPath(new URL('.', import.meta.url)), {
  timeout: 120_000,
  expect: { timeout: 15_000 },
  use: { trace: 'retain-on-failure' },
})
