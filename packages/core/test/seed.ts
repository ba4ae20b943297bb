/**
 * fast-check parameters shared by the property tests: a failing run prints its
 * seed (fast-check's report), and `SEED=<n>` replays it.
 */
export const propertyParams = {
  seed: process.env.SEED === undefined ? undefined : Number(process.env.SEED),
  numRuns: process.env.NUM_RUNS === undefined ? undefined : Number(process.env.NUM_RUNS),
}
