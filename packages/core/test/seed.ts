import { SEED } from '@troupe/test-support/seed'

/**
 * fast-check parameters shared by the property tests: seeded with the run's
 * `SEED` (a failure prints the command that replays it); `NUM_RUNS=<n>`
 * changes how many cases run.
 */
export const propertyParams = {
  seed: SEED,
  numRuns: process.env.NUM_RUNS === undefined ? undefined : Number(process.env.NUM_RUNS),
}
