/**
 * Soak: the chaos scenario of `packages/node/test/support/chaos.ts` (three hubs,
 * two clients, all-to-all traffic, SIGKILLed and restarted hubs, cut proxies)
 * run for minutes, printing every process's memory over time and, at the end,
 * what happened to every message. Prints figures; never fails the run.
 *
 * Not part of the default benchmark run: `npm run bench -w @troupe/bench -- soak`.
 * Environment: `SOAK_SECONDS` (faults injected for this long, default 600),
 * `SEED` (the fault schedule, printed).
 */

import { SEED } from '@troupe/test-support/seed'
import { recordFigures } from './shared/figures.js'
import { envNumber } from './shared/stats.js'

/**
 * The chaos driver lives with the integration tests it was written for. It is
 * loaded by URL, at run time, so this package's typecheck stays inside its own
 * rootDir; these are the parts of its API the soak uses.
 */
const CHAOS_DRIVER = new URL('../../../packages/node/test/support/chaos.ts', import.meta.url).href

interface MemorySample {
  atSeconds: number
  rss: Record<string, number>
  heapUsed: Record<string, number>
}

interface ChaosDriver {
  runChaos(options: {
    seconds: number
    seed: number
    sampleEveryMs?: number
    onSample?: (sample: MemorySample) => void
    gcBeforeSample?: boolean
  }): Promise<unknown>
  formatChaosReport(report: unknown): string
}

const DEFAULT_SECONDS = 600
const SAMPLE_EVERY_MS = 10_000
const NODES = ['h1', 'h2', 'h3', 'c1', 'c2']

const mb = (bytes: number | undefined) =>
  bytes === undefined ? '   -' : (bytes / 1024 / 1024).toFixed(0).padStart(4)

/**
 * Runs the soak and prints memory every 10 s, then the totals.
 *
 * @example
 * // SOAK_SECONDS=60 npx tsx src/main.ts soak
 * await benchSoak()
 */
export async function benchSoak(): Promise<void> {
  const seconds = envNumber('SOAK_SECONDS', DEFAULT_SECONDS)
  const seed = SEED
  console.log(
    `\n## Soak: 3 hubs + 2 clients, all-to-all traffic, hubs killed and proxies cut for ${seconds} s`,
  )
  console.log(`seed ${seed} (replay: SEED=${seed})\n`)
  console.log(`memory (MB), RSS / heap used after GC, every ${SAMPLE_EVERY_MS / 1_000} s; "-" while down`)
  console.log(`${'t (s)'.padStart(6)}  ${NODES.map((id) => `${id.padStart(4)} rss/heap`).join('  ')}`)
  let first: MemorySample | undefined
  let last: MemorySample | undefined
  const samples: MemorySample[] = []
  const { runChaos, formatChaosReport } = (await import(CHAOS_DRIVER)) as ChaosDriver
  const report = await runChaos({
    seconds,
    seed,
    sampleEveryMs: SAMPLE_EVERY_MS,
    gcBeforeSample: true,
    onSample(sample) {
      first ??= sample
      last = sample
      samples.push(sample)
      const row = NODES.map((id) => `${mb(sample.rss[id])}/${mb(sample.heapUsed[id])}`.padStart(13))
      console.log(`${String(sample.atSeconds).padStart(6)}  ${row.join('  ')}`)
    },
  })
  console.log(`\n${formatChaosReport(report)}`)
  recordFigures('soak', { seconds, seed, memorySamples: samples, report })
  if (first !== undefined && last !== undefined) {
    // h1, c1 and c2 are never restarted: their memory from the first sample to the last shows any growth
    const growth = (key: 'rss' | 'heapUsed') =>
      ['h1', 'c1', 'c2']
        .map((id) => {
          const delta = ((last![key][id] ?? 0) - (first![key][id] ?? 0)) / 1024 / 1024
          return `${id} ${delta >= 0 ? '+' : ''}${delta.toFixed(1)} MB`
        })
        .join(', ')
    console.log(
      `  never-restarted processes, first sample to last: RSS ${growth('rss')}; heap ${growth('heapUsed')}`,
    )
  }
}
