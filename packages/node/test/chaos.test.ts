/**
 * Chaos over real processes and sockets: three hubs and two clients under
 * steady all-to-all traffic while a seeded schedule SIGKILLs and restarts hubs
 * and cuts TCP proxies. The driver and the reasoning behind what is checked
 * are in `support/chaos.ts`. A failure prints the command that replays its
 * fault schedule (`SEED=<n>`);
 * `CHAOS_SECONDS=<n>` sets how long faults are injected (default 45).
 */
import { SEED } from '@troupe/test-support/seed'
import { describe, expect, it } from 'vitest'
import { formatChaosReport, runChaos } from './support/chaos.js'

const seconds = Number(process.env.CHAOS_SECONDS ?? 45)

describe('a cluster under chaos', () => {
  it(
    'delivers every message once and in order between nodes that were not restarted, and accounts for every other one',
    async () => {
      console.log(`chaos: seed ${SEED}, ${seconds} s of faults`)
      const lines: string[] = []
      const report = await runChaos({ seconds, seed: SEED, log: (line) => lines.push(line) })
      console.log(lines.join('\n'))
      console.log(formatChaosReport(report))

      expect(report.violations).toEqual([])
      expect(report.settledAfterSeconds).toBeDefined()
      // the run was not vacuous: faults happened, traffic flowed, and some pairs were checked for exactly-once
      expect(report.faults.cuts + report.faults.kills).toBeGreaterThan(0)
      expect(report.faults.restarts).toBe(report.faults.kills)
      expect(report.totals.delivered).toBeGreaterThan(0)
      expect(report.cleanPairs).toBeGreaterThan(0)
      // every process's memory was sampled
      expect(Object.keys(report.peakRss).sort()).toEqual(['c1', 'c2', 'h1', 'h2', 'h3'])
    },
    (seconds + 150) * 1_000,
  )
})
