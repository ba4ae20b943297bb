// A Vite plugin for the size scripts of the browser packages: it fails the build on any import of a Node
// built-in, where Vite would only warn and stub it out.
import { builtinModules } from 'node:module'

const builtins = new Set(builtinModules)

export const noNodeBuiltins = {
  name: 'troupe:no-node-builtins',
  enforce: 'pre',
  resolveId(source, importer) {
    if (source.startsWith('node:') || builtins.has(source) || builtins.has(source.split('/')[0])) {
      this.error(
        `${importer ?? 'the entry'} imports the Node built-in "${source}": the browser bundle must not`,
      )
    }
    return null
  },
}
