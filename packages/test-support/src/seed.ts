import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRandom, type Random } from '@troupe/core/testing'
import { markSeedUsed } from './seedUse.js'

const REPO = fileURLToPath(new URL('../../../', import.meta.url))

/** Reads `SEED`: a whole number, or unset for a fresh seed. */
function readSeed(value: string | undefined): number {
  if (value === undefined || value === '') return Math.floor(Math.random() * 2 ** 31)
  const seed = Number(value)
  if (!Number.isSafeInteger(seed)) throw new Error(`SEED must be a whole number, got "${value}"`)
  return seed
}

/**
 * The seed of every randomized test in this run: the `SEED` environment
 * variable, or a fresh one when it is unset. A failing test in a file that
 * imports it prints the command that replays it (see vitestSetup.ts), e.g.
 * `SEED=123 npx vitest run packages/node/test/fuzz.test.ts`.
 *
 * @example
 * ```ts
 * await fc.assert(property, { seed: SEED })
 * ```
 */
export const SEED: number = readSeed(process.env.SEED)
markSeedUsed()

/**
 * A PRNG seeded from {@link SEED}; `stream` picks an independent sequence, for
 * tests that need more than one.
 *
 * @example
 * ```ts
 * const random = seededRandom()
 * if (random.chance(0.35)) killAHub()
 * ```
 */
export function seededRandom(stream = 0): Random {
  return createRandom(SEED + stream)
}

/** The shell command that replays `testFile` (an absolute path) with this run's seed; `testName` narrows it to one test. */
export function replayCommand(testFile: string, testName?: string): string {
  // -t takes a pattern: the name's special characters are escaped, then the whole is single-quoted for the shell
  const pattern = testName?.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replaceAll("'", "'\\''")
  const name = pattern === undefined ? '' : ` -t '${pattern}'`
  return `SEED=${SEED} npx vitest run ${relative(REPO, testFile)}${name}`
}
