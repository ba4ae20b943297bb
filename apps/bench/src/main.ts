/**
 * Troupe benchmarks. Prints figures; never fails a run for being slow.
 * Usage: npm run bench [-- local]
 */
import { benchCluster } from './cluster/cluster.js'
import { benchLocal } from './local.js'

const suites: Record<string, () => Promise<void>> = { local: benchLocal, cluster: benchCluster }
const chosen = process.argv.slice(2)
if (chosen.includes('soak')) suites.soak = (await import('./soak.js')).benchSoak // only when named: it runs for minutes
for (const name of chosen.length > 0 ? chosen : Object.keys(suites)) {
  const suite = suites[name]
  if (suite === undefined)
    throw new Error(`unknown benchmark "${name}": choose from ${Object.keys(suites).join(', ')}`)
  await suite()
}
