/**
 * Tools for testing code built on Troupe: a manual clock, and (soon) the
 * in-memory network with fault injection.
 *
 * @packageDocumentation
 */
export { createTestClock, type TestClock } from './testing/testClock.js'
