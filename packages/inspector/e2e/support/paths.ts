import { fileURLToPath } from 'node:url'

const at = (path: string) => fileURLToPath(new URL(path, import.meta.url))

/** The test page's sources. */
export const APP_DIR = at('../app')
/** Where globalSetup bundles the test page. */
export const APP_DIST = at('../.app-dist')
/** The repository's packages. */
export const PACKAGES = at('../../../')
/** The hub process's script. */
export const HUB_SCRIPT = at('./hub.mjs')
