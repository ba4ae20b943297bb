/**
 * Tools for testing code built on Troupe: a manual clock, a seeded PRNG, and
 * the in-memory network with fault injection.
 *
 * @packageDocumentation
 */
export { createRandom, type Random } from './testing/random.js'
export { createTestClock, type TestClock } from './testing/testClock.js'
export {
  createMemoryNetwork,
  type FaultRates,
  type MemoryNetwork,
  type MemoryNetworkOptions,
} from './transport/memory.js'
