import { fileURLToPath } from 'node:url'
import { chromiumSuite } from '../../scripts/playwrightConfig.js'

export default chromiumSuite(fileURLToPath(new URL('.', import.meta.url)))
