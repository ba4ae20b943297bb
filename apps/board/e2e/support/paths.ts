import { fileURLToPath } from 'node:url'

const at = (path: string) => fileURLToPath(new URL(path, import.meta.url))

/** apps/board */
export const APP_DIR = at('../../')
/** The built page, served by the tests' static server. */
export const WEB_DIST = at('../../dist/web')
/** Where the tests put their screenshots and the JSON report. */
export const RESULTS = at('../../test-results')
/** The repository's packages. */
export const PACKAGES = at('../../../../packages')
