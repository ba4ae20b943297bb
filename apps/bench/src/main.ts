/**
 * Troupe benchmarks. Prints figures (and writes them as JSON to `BENCH_JSON`
 * if set); never fails a run for being slow.
 *
 * Usage: npm run bench [-- NAME ...]. Without names, the regular benchmarks
 * run; the long ones run only when named.
 */
import { figuresPath } from './shared/figures.js'

type Benchmark = () => Promise<void>

/** Loaded on demand, so one that cannot load fails only its own run. */
const REGULAR: Record<string, () => Promise<Benchmark>> = {
  local: async () => (await import('./local.js')).benchLocal,
  ask: async () => (await import('./ask/ask.js')).benchAsk,
  relay: async () => (await import('./relay/relay.js')).benchRelay,
  cluster: async () => (await import('./cluster/cluster.js')).benchCluster,
  groups: async () => (await import('./groups/groups.js')).benchGroups,
}
/** Minutes each: only when named. */
const LONG: Record<string, () => Promise<Benchmark>> = {
  entities: async () => (await import('./entities/entities.js')).benchEntities,
  capacity: async () => (await import('./capacity/capacity.js')).benchCapacity,
  soak: async () => (await import('./soak.js')).benchSoak,
}

const all = { ...REGULAR, ...LONG }
const chosen = process.argv.slice(2)
for (const name of chosen) {
  if (!(name in all))
    throw new Error(`unknown benchmark "${name}": choose from ${Object.keys(all).join(', ')}`)
}
for (const name of chosen.length > 0 ? chosen : Object.keys(REGULAR)) {
  const benchmark = await all[name]!()
  await benchmark()
}
const path = figuresPath()
if (path !== undefined) console.log(`\nfigures written to ${path}`)
