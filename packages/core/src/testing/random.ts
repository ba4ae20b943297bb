import { TroupeError } from '../errors.js'

/** A seeded source of pseudo-random numbers: the same seed always gives the same sequence. */
export interface Random {
  /** A number in `[0, 1)`. */
  next(): number
  /** An integer in `[0, maxExclusive)`; `maxExclusive` must be a positive integer. */
  int(maxExclusive: number): number
  /** True with probability `p` (always false for `p <= 0`, always true for `p >= 1`). Draws one number. */
  chance(p: number): boolean
}

/**
 * A small, fast, seeded PRNG (mulberry32) for tests and fault injection. Not
 * for anything that needs unpredictability.
 *
 * @example
 * ```ts
 * const random = createRandom(Number(process.env.SEED ?? 1))
 * if (random.chance(0.1)) dropTheFrame()
 * const pick = items[random.int(items.length)]
 * ```
 */
export function createRandom(seed: number): Random {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), state | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
  return {
    next,
    int(maxExclusive: number): number {
      if (!Number.isInteger(maxExclusive) || maxExclusive <= 0) {
        throw new TroupeError('BAD_ARGUMENT', `random.int: expected a positive integer, got ${maxExclusive}`)
      }
      return Math.floor(next() * maxExclusive)
    },
    chance: (p: number): boolean => next() < p,
  }
}
