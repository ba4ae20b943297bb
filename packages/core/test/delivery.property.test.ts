import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { deadLetters, type MemoryCluster, memoryCluster, recorder } from './cluster/harness.js'
import { propertyParams } from './seed.js'

/** One disruption of the link between a and b, starting `at` ms into the run, for `forMs`. */
const disruption = fc.record({
  at: fc.integer({ min: 0, max: 3_000 }),
  forMs: fc.integer({ min: 50, max: 2_000 }),
  kind: fc.constantFrom('partition' as const, 'cut' as const),
})
const rates = fc.record({
  drop: fc.double({ min: 0, max: 0.3, noNaN: true }),
  duplicate: fc.double({ min: 0, max: 0.3, noNaN: true }),
  reorder: fc.double({ min: 0, max: 0.3, noNaN: true }),
  delayMs: fc.tuple(fc.nat(20), fc.nat(40)).map(([min, extra]): [number, number] => [min, min + extra]),
})
const schedule = fc.record({ seed: fc.nat(), rates, disruptions: fc.array(disruption, { maxLength: 4 }) })

let cluster: MemoryCluster | undefined
afterEach(async () => {
  await cluster?.closeAll()
  cluster = undefined
})

/**
 * a and b send `count` numbered messages to each other, one every 20 ms of
 * clock time, while the faults of `plan` come and go; then everything heals.
 */
type Plan = typeof schedule extends fc.Arbitrary<infer T> ? T : never

async function exchange(plan: Plan, count: number, ttlMs: number) {
  cluster = memoryCluster(plan.seed)
  const options = { holdTtlMs: ttlMs, reconnect: { initialMs: 50, maxMs: 1_000 } }
  const a = await cluster.start('a', [], options)
  const b = await cluster.start('b', ['a'], options)
  await cluster.run(200)
  const atA = recorder(a)
  const atB = recorder(b)
  const deadAtA = deadLetters(a)
  const deadAtB = deadLetters(b)
  cluster.net.faults(plan.rates)
  const events = plan.disruptions.flatMap(({ at, forMs, kind }) => [
    { t: at, run: () => (kind === 'cut' ? cluster!.net.cut('a', 'b') : cluster!.net.partition('a', 'b')) },
    { t: at + forMs, run: () => cluster!.net.heal('a', 'b') },
  ])
  for (let step = 0, t = 0; step < count; step++, t += 20) {
    for (const event of events) if (event.t >= t && event.t < t + 20) event.run()
    a.send('log@b', step)
    b.send('log@a', step)
    await cluster.clock.advance(20)
  }
  for (const event of events) if (event.t >= count * 20) event.run()
  cluster.net.heal()
  cluster.net.clearFaults()
  await cluster.run(ttlMs + 5_000, 50)
  exercised.dropped += cluster.net.stats.dropped
  exercised.resent += a.metrics().resent + b.metrics().resent
  exercised.duplicatesDropped += a.metrics().duplicatesDropped + b.metrics().duplicatesDropped
  exercised.outOfOrderDropped += a.metrics().outOfOrderDropped + b.metrics().outOfOrderDropped
  return { atA, atB, deadAtA, deadAtB }
}

/** What the faults did over all runs: proof that the properties were tested under real disruption. */
const exercised = { dropped: 0, resent: 0, duplicatesDropped: 0, outOfOrderDropped: 0 }

const all = (count: number) => Array.from({ length: count }, (_, i) => i)

describe('end-to-end delivery under faults (in-memory network, seeded)', () => {
  it('delivers every message exactly once and in order when the faults heal within the TTL', async () => {
    await fc.assert(
      fc.asyncProperty(schedule, async (plan) => {
        const { atA, atB, deadAtA, deadAtB } = await exchange(plan, 150, 10_000)
        expect(atB).toEqual(all(150))
        expect(atA).toEqual(all(150))
        expect([...deadAtA, ...deadAtB]).toEqual([])
        await cluster?.closeAll()
        cluster = undefined
      }),
      { ...propertyParams, numRuns: propertyParams.numRuns ?? 25 },
    )
    expect(exercised.dropped).toBeGreaterThan(0)
    expect(exercised.resent).toBeGreaterThan(0)
    expect(exercised.duplicatesDropped).toBeGreaterThan(0)
    expect(exercised.outOfOrderDropped).toBeGreaterThan(0)
  })

  it('beyond the TTL, delivers each message at most once and in order, and dead-letters the rest: none vanishes', async () => {
    // short disruptions first, then a partition far longer than the TTL that nothing heals early
    const long = schedule.map((plan) => ({
      ...plan,
      disruptions: [
        ...plan.disruptions.filter(({ at, forMs }) => at + forMs < 500),
        { at: 500, forMs: 6_000, kind: 'partition' as const },
      ],
    }))
    await fc.assert(
      fc.asyncProperty(long, async (plan) => {
        const count = 150
        const { atA, atB, deadAtA, deadAtB } = await exchange(plan, count, 2_000)
        for (const [seen, dead] of [
          [atB, deadAtA],
          [atA, deadAtB],
        ] as const) {
          const increasing = seen.every((n, i) => i === 0 || n > seen[i - 1]!)
          expect(increasing).toBe(true)
          expect(dead.every((d) => d.reason === 'ttl-expired')).toBe(true)
          const accounted = new Set([...seen, ...dead.map((d) => d.message as number)])
          expect([...accounted].sort((x, y) => x - y)).toEqual(all(count))
          expect(dead.length).toBeGreaterThan(0)
        }
        await cluster?.closeAll()
        cluster = undefined
      }),
      { ...propertyParams, numRuns: propertyParams.numRuns ?? 15 },
    )
  })
})
